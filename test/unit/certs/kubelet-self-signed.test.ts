/** When certs renew has the kubelet make its self-signed serving certificate again (certs.kubelet-self-signed). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selfSignedServingProblem } from '../../../src/tasks/certs/kubelet-self-signed.js';

const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'ks-kubelet-self-'));
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

/** A one-year certificate signed by its own throwaway CA, as the kubelet makes it, and one the cluster CA signed. */
openssl(
  'req',
  '-x509',
  '-newkey',
  'ec',
  '-pkeyopt',
  'ec_paramgen_curve:P-256',
  '-nodes',
  '-keyout',
  'self.key',
  '-out',
  'self.crt',
  '-days',
  '365',
  '-subj',
  '/CN=w1@1765100000',
);
openssl(
  'req',
  '-x509',
  '-newkey',
  'ec',
  '-pkeyopt',
  'ec_paramgen_curve:P-256',
  '-nodes',
  '-keyout',
  'ca.key',
  '-out',
  'ca.crt',
  '-days',
  '3650',
  '-subj',
  '/CN=kubernetes',
);
openssl(
  'req',
  '-new',
  '-newkey',
  'ec',
  '-pkeyopt',
  'ec_paramgen_curve:P-256',
  '-nodes',
  '-keyout',
  'srv.key',
  '-out',
  'srv.csr',
  '-subj',
  '/O=system:nodes/CN=system:node:w1',
);
openssl('x509', '-req', '-in', 'srv.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.crt', '-days', '365');
const pem = (f: string) => readFileSync(join(dir, f), 'utf8');

describe('selfSignedServingProblem', () => {
  const now = Date.now();
  it('a valid self-signed certificate needs nothing; near its end or expired (at the node clock) it is made again', () => {
    expect(selfSignedServingProblem(pem('self.crt'), pem('ca.crt'), new Date(now))).toBeUndefined();
    expect(selfSignedServingProblem(pem('self.crt'), pem('ca.crt'), new Date(now + 345 * DAY))).toMatch(/^expires in (19|20) day\(s\)$/);
    expect(selfSignedServingProblem(pem('self.crt'), pem('ca.crt'), new Date(now + 400 * DAY))).toMatch(/^expired (34|35) day\(s\) ago$/);
  });
  it('leaves alone a serving certificate the cluster CA signed (serverTLSBootstrap) and a missing file', () => {
    expect(selfSignedServingProblem(pem('srv.crt'), pem('ca.crt'), new Date(now + 400 * DAY))).toBeUndefined();
    expect(selfSignedServingProblem(null, pem('ca.crt'), new Date(now + 400 * DAY))).toBeUndefined();
  });
});

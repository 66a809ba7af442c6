/**
 * `certs check` judges a node's certificates at that node's clock (`date +%s` in the collector), as the node's TLS
 * peers do: a node whose clock is 400 days ahead sees its one-year certificates expired even when the admin
 * machine's clock says they are fine, and a node that did not report its clock falls back to the admin machine's.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../../src/certs/analyze.js';
import { collectScript, parseCollected } from '../../../src/certs/collect.js';
import { makeCas, NOW, tempRoot, writeNodeTree } from './fixture.js';

const DAY_S = 86_400;

function collected() {
  const root = tempRoot();
  writeNodeTree(root, { node: 'cp1', ip: '10.0.0.1', cas: makeCas(), leafDays: [-1, 364] });
  return parseCollected(execFileSync('bash', ['-c', collectScript(true, root).text], { encoding: 'utf8' }));
}

describe("certs check at the node's clock", () => {
  const c = collected();
  const input = (hostNow: number | undefined) => ({
    node: 'cp1',
    controlPlane: true,
    expectedSans: ['cp1', '10.0.0.1'],
    collected: { ...c, ...(hostNow === undefined ? { hostNow: undefined } : { hostNow }) },
  });

  it('the collector reports the node clock (date +%s)', () => {
    expect(c.hostNow).toBeGreaterThanOrEqual(Math.floor(NOW / 1000) - 1);
    expect(c.hostNow).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
  });

  it('a node 400 days ahead: every leaf expired (CRITICAL), the admin clock notwithstanding', () => {
    const r = analyze([input(Math.floor(NOW / 1000) + 400 * DAY_S)], { now: new Date(NOW), warnDays: 30 });
    expect(r.exitCode).toBe(2);
    expect(r.rows.find((x) => x.cert === 'apiserver')).toMatchObject({ status: 'critical', note: 'expired 36 day(s) ago' });
    expect(r.rows.find((x) => x.cert === 'ca')!.status).toBe('ok');
  });

  it('without a reported clock the admin machine decides', () => {
    const r = analyze([input(undefined)], { now: new Date(NOW + 400 * DAY_S * 1000), warnDays: 30 });
    expect(r.rows.find((x) => x.cert === 'apiserver')!.status).toBe('critical');
    expect(analyze([input(undefined)], { now: new Date(NOW), warnDays: 30 }).exitCode).toBe(0);
  });
});

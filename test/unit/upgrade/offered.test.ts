/**
 * Offered releases per minor, read on the node from the repository index: the real pkgs.k8s.io Packages sample
 * (test/fixtures/repos) and the lab mirror's deb and rpm indexes (pinned to the real formats in bundle/index.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offeredEverywhere, offeredForMinor, offeredInDeb, offeredVersions } from '../../../src/upgrade/offered.js';
import { RecordingTransport } from '../../../src/transport/recording.js';
import { startMirror, type Mirror } from '../../lab/mirror.js';

const sample = readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'repos', 'pkgs-k8s-io-v1.27-deb-Packages'), 'utf8');

describe('offeredInDeb on the real pkgs.k8s.io sample', () => {
  it('a release counts only when kubeadm, kubelet and kubectl are all listed for the architecture', () => {
    expect(offeredInDeb(sample, 'amd64')).toEqual([]); // the sample lists kubeadm alone
    const withAll = ['kubelet', 'kubectl']
      .map((n) =>
        sample
          .split('\n\n')
          .find((s) => s.includes('Version: 1.27.0-2.1') && s.includes('amd64'))!
          .replace(/^Package: kubeadm/m, `Package: ${n}`),
      )
      .join('\n\n');
    expect(offeredInDeb(`${sample}\n\n${withAll}\n`, 'amd64')).toEqual(['1.27.0']);
    expect(offeredInDeb(`${sample}\n\n${withAll}\n`, 'arm64')).toEqual([]);
  });
});

describe('offeredForMinor, read with curl on the node', () => {
  let mirror: Mirror;
  beforeAll(async () => {
    mirror = await startMirror({ minors: ['1.33'] });
  });
  afterAll(async () => mirror?.close());

  const serve = (t: RecordingTransport) =>
    t.allow(/^curl -fsSL /, (call) => {
      const url = /https:\/\/(\S+?)'?( |$)/.exec(call.command)![1]!;
      const file = mirror.files.get(`/${url}`);
      if (!file) return { code: 22, stderr: 'curl: (22) The requested URL returned error: 404' };
      return { stdout: call.command.includes('gzip -dc') ? gunzipSync(file).toString() : file.toString() };
    });

  it('deb: every patch of the minor from <base>/v1.33/deb/Packages', async () => {
    const t = serve(new RecordingTransport('cp1'));
    const got = await offeredForMinor(t, { family: 'debian', arch: 'amd64' }, 1, 33);
    expect(got).toContain('1.33.0');
    expect(got.length).toBeGreaterThan(5);
    expect(t.commands).toEqual(['curl -fsSL https://pkgs.k8s.io/core:/stable:/v1.33/deb/Packages']);
  });

  it('rpm: repomd.xml names the primary file, read through gzip; the same releases as deb', async () => {
    const t = serve(new RecordingTransport('cp1'));
    const rpm = await offeredForMinor(t, { family: 'rhel', arch: 'x86_64' }, 1, 33);
    const deb = await offeredForMinor(serve(new RecordingTransport('cp1')), { family: 'debian', arch: 'amd64' }, 1, 33);
    expect(rpm.sort()).toEqual(deb.sort());
    expect(t.commands[0]).toContain('/v1.33/rpm/repodata/repomd.xml');
    expect(t.commands[1]).toMatch(/primary\.xml\.gz'? \| gzip -dc$/);
  });

  it('a minor whose repository does not answer offers nothing', async () => {
    const t = serve(new RecordingTransport('cp1'));
    const all = await offeredVersions(t, { family: 'debian', arch: 'amd64', base: 'https://pkgs.k8s.io/core:/stable:' }, 1, 33, 34);
    expect(all.get(34)).toEqual([]);
    expect(all.get(33)!.length).toBeGreaterThan(0);
  });
});

describe('a cluster mixing distribution families', () => {
  it('offers, per minor, only the releases every family repository offers', () => {
    const deb = new Map([
      [33, ['1.33.5', '1.33.6', '1.33.7']],
      [34, ['1.34.0', '1.34.1']],
    ]);
    const rpm = new Map([
      [33, ['1.33.5', '1.33.6']],
      [34, ['1.34.0', '1.34.1', '1.34.2']],
    ]);
    expect(offeredEverywhere([deb, rpm])).toEqual(
      new Map([
        [33, ['1.33.5', '1.33.6']],
        [34, ['1.34.0', '1.34.1']],
      ]),
    );
    expect(offeredEverywhere([deb])).toEqual(deb);
    expect(offeredEverywhere([deb, new Map([[34, ['1.34.1']]])]).get(33)).toEqual([]);
  });
});

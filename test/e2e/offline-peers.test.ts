/**
 * Bundle distribution that does not scale with host count, on a WAN lab (the admin machine's SSH path to each host
 * capped at 100 Mbit/s; host ↔ host traffic goes over the bridge, uncapped, like nodes on a LAN): `apply` from a
 * bundle on 1 control plane + 3 workers sends each bundle file from the admin machine once, the hosts copy it among
 * themselves (each file checked against the manifest's sha256 on arrival), and nothing listens afterwards. A peer's
 * listener killed during its transfers sends the receivers back to the admin machine and the apply still succeeds.
 * Admin bytes are the machine's own transmissions into the lab bridge (the bridge device's tx counter; frames the
 * bridge forwards from host to host are not counted there).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labUp, type Lab } from '../lab/lab.js';
import { bridgeOf } from '../lab/paths.js';
import { inventorySchema } from '../../src/inventory/schema.js';
import { imageSet } from '../../src/bundle/image-set.js';
import { haveRegistry, startRegistry, type LocalRegistry } from '../unit/bundle/local-registry.js';
import { seedImages } from '../unit/bundle/seed.js';
import { startMirror, type Mirror } from '../lab/mirror.js';
import { PEER_PORTS } from '../../src/tasks/offline/peer-copy.js';
import { hostOutcomes, kubesmith, labReady, logText } from './helpers.js';
import { readyNodes } from './offline-helpers.js';

const NAME = 'e2e-offline-peers';
const HOSTS = ['cp1', 'w1', 'w2', 'w3'];
const BUNDLE_DIR = '/var/lib/kubesmith/bundle';
const ready = labReady() && haveRegistry();
if (!ready) console.warn('skipping test/e2e/offline-peers.test.ts: needs root, the lab emulators and /usr/bin/docker-registry');

describe.skipIf(!ready)('offline bundle distribution: each file leaves the admin machine once, hosts copy it among themselves', () => {
  let lab: Lab;
  let reg: LocalRegistry;
  let files: Mirror;
  let inv: string;
  let bundle: string;
  const adminTx = () => Number(readFileSync(`/sys/class/net/${bridgeOf(lab.index)}/statistics/tx_bytes`, 'utf8'));

  /** Bytes of the bundle files a host holds (every host here needs the same files: same distro, same platform). */
  async function bundleBytes(host: string): Promise<number> {
    const r = await lab.exec(host, `find ${BUNDLE_DIR} -type f ! -name '*.part' -printf '%s\\n'`);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .reduce((n, s) => n + Number(s), 0);
  }

  /** Every bundle file on every host matches the manifest's sha256. */
  async function verifiedEverywhere(): Promise<void> {
    const manifest = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8')) as { files: { path: string; sha256: string }[] };
    for (const h of HOSTS) {
      const r = await lab.exec(h, `cd ${BUNDLE_DIR} && find . -type f ! -name '*.part' | sed 's|^./||' | xargs sha256sum`);
      expect(r.code, `${h}: ${r.stderr}`).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines.length, h).toBeGreaterThan(3);
      for (const line of lines) {
        const [sum, path] = line.split(/\s+/);
        expect(manifest.files.find((f) => f.path === path)?.sha256, `${h} ${path}`).toBe(sum);
      }
    }
  }

  /** No host has a peer listener or a leftover python3 after the run. */
  async function nothingListens(): Promise<void> {
    for (const h of HOSTS) {
      const ss = await lab.exec(h, 'ss -Htln');
      expect(ss.code, ss.stderr).toBe(0);
      const ports = ss.stdout
        .split('\n')
        .map((l) => Number(/:(\d+)\s/.exec(l.split(/\s+/)[3] + ' ')?.[1]))
        .filter((p) => p >= PEER_PORTS.from && p <= PEER_PORTS.to);
      expect(ports, `${h}: ${ss.stdout}`).toEqual([]);
      expect((await lab.exec(h, 'ps -eo args')).stdout, h).not.toMatch(/^python3 - /m);
    }
  }

  beforeAll(async () => {
    lab = await labUp({ name: NAME, hosts: HOSTS.map((name) => ({ name })), wan: { rttMs: 10, rateBps: 100e6 } });
    reg = await startRegistry();
    files = await startMirror({ minors: ['1.34'] });
    bundle = join(lab.root, 'bundle');
    inv = join(lab.root, 'inventory.yaml');
    const extra = { kubernetes: { version: '1.34.1' }, network: { plugin: 'flannel' }, offline: { bundle } };
    lab.writeInventory(inv, { controlPlanes: ['cp1'], workers: ['w1', 'w2', 'w3'], extra });
    const parsed = inventorySchema.parse((await import('yaml')).parse(readFileSync(inv, 'utf8')));
    // the lab's images are a few KiB: the pause image gets a 24 MB layer, so the bundle outweighs the apply's own traffic
    const big = { 'opt/filler': randomBytes(18_000_000).toString('base64') };
    await seedImages(
      reg.url,
      imageSet(parsed).map((i) => i.ref),
      ['linux/amd64'],
      (ref) => (ref.includes('/pause:') ? big : undefined),
    );
    const args = ['bundle', 'create', '-i', inv, '-o', bundle, '--registry-mirror', reg.url, '--mirrors-only'];
    const run = await kubesmith([...args, '--files-url', files.url, '--allow-http-files', '--packages', 'debian-12']);
    expect(run.code, run.stderr).toBe(0);
  }, 600_000);

  afterAll(async () => {
    await reg?.stop();
    await files?.close();
    if (lab) await labDown(NAME);
  }, 120_000);

  it('apply: the admin machine sends the bundle about once (not once per host), every file verified, nothing listens after', async () => {
    const before = adminTx();
    const logDir = join(lab.root, 'logs-first');
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json', '--log-dir', logDir]);
    expect(run.code, run.stderr + run.stdout.slice(-4000)).toBe(0);
    const sent = adminTx() - before;
    const perHost = await bundleBytes('cp1');
    for (const h of HOSTS) expect(await bundleBytes(h), h).toBe(perHost);
    // one copy of the bundle plus the rest of the apply (commands, configs, SSH framing); four copies would be ≥ 4×
    expect(sent, `admin sent ${sent} bytes for a ${perHost}-byte bundle`).toBeLessThan(1.5 * perHost);
    const logs = logText(logDir);
    expect(logs).toMatch(/ from (cp1|w1|w2|w3) in /);
    await verifiedEverywhere();
    await nothingListens();
    expect(await readyNodes(lab)).toEqual({ cp1: 'True', w1: 'True', w2: 'True', w3: 'True' });
  }, 1_200_000);

  it('a peer whose listeners are killed during its transfers: the receivers fall back to the admin machine, apply succeeds', async () => {
    const victim = 'cp1'; // the only holder: the first receivers must try it
    for (const h of ['w1', 'w2', 'w3']) expect((await lab.exec(h, `rm -rf ${BUNDLE_DIR}`)).code).toBe(0);
    let stop = false;
    const killed: string[] = [];
    const killer = (async () => {
      while (!stop) {
        const ps = await lab.exec(victim, 'ps -eo pid=,args=');
        for (const line of ps.stdout.split('\n')) {
          const m = /^\s*(\d+) python3 - /.exec(line);
          if (m && !killed.includes(m[1]!)) {
            killed.push(m[1]!);
            await lab.exec(victim, `kill -9 ${m[1]}`);
          }
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const logDir = join(lab.root, 'logs-killed');
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json', '--log-dir', logDir]).finally(() => (stop = true));
    await killer;
    expect(run.code, run.stderr + run.stdout.slice(-4000)).toBe(0);
    expect(killed.length).toBeGreaterThan(0);
    const logs = logText(logDir);
    expect(logs).toMatch(/peer copy of \S+ from cp1 to w\d failed: .*; taking it from the admin machine/);
    expect(logs).toMatch(/ from the admin machine in /);
    const uploads = hostOutcomes(run).filter((o) => o.task === 'offline.upload');
    expect(Object.fromEntries(uploads.map((o) => [o.host, o.outcome]))).toEqual({ cp1: 'ok', w1: 'changed', w2: 'changed', w3: 'changed' });
    await verifiedEverywhere();
    await nothingListens();
  }, 1_200_000);

  it('a re-run moves nothing: every file already present and verified', async () => {
    const before = adminTx();
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(run.code, run.stderr + run.stdout.slice(-3000)).toBe(0);
    expect(
      hostOutcomes(run)
        .filter((o) => o.task === 'offline.upload')
        .map((o) => o.outcome),
    ).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(adminTx() - before).toBeLessThan(await bundleBytes('cp1'));
    await nothingListens();
  }, 600_000);
});

import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import {
  controlplaneInit,
  INIT_INCOMPLETE,
  KUBEADM_INIT_CONFIG,
  KUBEADM_INIT_RUN_CONFIG,
  LEFTOVER_INIT,
} from '../../../src/tasks/controlplane/init.js';
import type { RecordingTransport } from '../../../src/transport/recording.js';

/** `test -e PATH` and `rm -f PATH` answered from the transport's in-memory files. */
function memoryFs(t: RecordingTransport): RecordingTransport {
  return t
    .allow(/^test -e /, (c) => ({ code: t.files.has(c.command.replace(/^test -e /, '')) ? 0 : 1 }))
    .allow(/^rm -f /, (c) => (t.files.delete(c.command.replace(/^rm -f /, '')), {}));
}
import { controlplaneKubeconfig } from '../../../src/tasks/controlplane/kubeconfig.js';
import { controlplaneJoin } from '../../../src/tasks/controlplane/join.js';
import { workerJoin } from '../../../src/tasks/worker/join.js';
import { KUBEADM_JOIN_CONFIG } from '../../../src/tasks/common/join.js';
import { JOIN_MATERIAL_CONFIG, caCertHash } from '../../../src/tasks/common/cluster.js';
import { converge, expectReadOnly, harness } from './helpers/context.js';
import { haHosts, makeInventory } from './helpers/inventory.js';

const CA = readFileSync(join(import.meta.dirname, 'fixtures', 'ca.crt'));
const CA_EC = readFileSync(join(import.meta.dirname, 'fixtures', 'ca-ecdsa.crt'));

describe('caCertHash', () => {
  it('equals openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256 (RSA and ECDSA)', () => {
    expect(caCertHash(CA)).toBe('sha256:e3c96783f6b69f5ffd75a6a74be1d26850f78fc1df6c106b7d63fa5f7927daa7');
    expect(caCertHash(CA_EC)).toBe('sha256:9ea78c0f24f0d9b4344caf6cf4c462fcfc848bbae0f039ca4d5619992daa83a8');
  });
});

describe('controlplane.init', () => {
  it('renders the config, runs kubeadm init with --upload-certs for HA, then is ok', async () => {
    const inv = makeInventory({ kubernetes: { controlPlaneEndpoint: 'lb.example:6443' } }, haHosts());
    const h = harness(inv);
    const t = memoryFs(h.t('cp1'));
    t.allow('kubectl --kubeconfig /etc/kubernetes/admin.conf get node cp1 -o name', { stdout: 'node/cp1\n' }).expect(
      'kubeadm init --config /etc/kubernetes/kubesmith/kubeadm-init.run.yaml --upload-certs --skip-token-print --skip-certificate-key-print',
      (call) => {
        runConfig = t.fileText(KUBEADM_INIT_RUN_CONFIG)!;
        secrets = (call.opts as { secrets?: string[] }).secrets ?? [];
        t.setFile('/etc/kubernetes/admin.conf', 'kubeconfig');
        return { stdout: `[bootstrap-token] Using token: ${secrets[0]}\n` };
      },
    );
    let runConfig = '';
    let secrets: string[] = [];
    const check = await controlplaneInit.check(h.ctx('cp1'));
    expectReadOnly(t);
    expect(check.status === 'change' && check.changes.map((c) => c.summary)).toEqual([
      `create ${KUBEADM_INIT_CONFIG}`,
      'run kubeadm init --config /etc/kubernetes/kubesmith/kubeadm-init.run.yaml --upload-certs --skip-token-print --skip-certificate-key-print',
    ]);
    await converge(controlplaneInit, h.ctx('cp1'), [t]);
    t.assertDone();
    // init ran with a token and certificate key kubesmith chose, passed as secrets; the kept file has neither.
    const [init] = parseAllDocuments(runConfig).map((d) => d.toJS());
    expect(secrets).toEqual([init.bootstrapTokens[0].token, init.certificateKey]);
    expect(init.bootstrapTokens[0].token).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    expect(init.certificateKey).toMatch(/^[a-f0-9]{64}$/);
    expect(t.files.has(KUBEADM_INIT_RUN_CONFIG)).toBe(false);
    expect(t.files.has(INIT_INCOMPLETE)).toBe(false);
    expect(t.fileText(KUBEADM_INIT_CONFIG)).not.toContain(secrets[0]);
    expect(t.files.get(KUBEADM_INIT_CONFIG)!.mode).toBe('0600');
    const docs = parseAllDocuments(t.fileText(KUBEADM_INIT_CONFIG)!).map((d) => d.toJS());
    expect(docs[1]).toMatchObject({ controlPlaneEndpoint: 'lb.example:6443', networking: { podSubnet: '10.244.0.0/16' } });
  });

  it('single control plane: no --upload-certs', async () => {
    const h = harness(makeInventory());
    const t = h.t('cp1').allow('test -e', { code: 1 }).allow('get node cp1', { code: 1 });
    const r = await controlplaneInit.check(h.ctx('cp1'));
    expect(r.status === 'change' && r.changes[1]!.summary).toBe(
      'run kubeadm init --config /etc/kubernetes/kubesmith/kubeadm-init.run.yaml --skip-token-print --skip-certificate-key-print',
    );
    expectReadOnly(t);
  });

  it('a fresh host is asked every question a converged one is (the next run answers them all from its batch of checks)', async () => {
    const asked = async (converged: boolean) => {
      const h = harness(makeInventory());
      const t = memoryFs(h.t('cp1')).allow('get node cp1', { code: converged ? 0 : 1, stdout: 'node/cp1\n' });
      if (converged) t.setFile('/etc/kubernetes/admin.conf', 'x');
      await controlplaneInit.check(h.ctx('cp1'));
      return t.calls.filter((c) => c.kind === 'exec').map((c) => c.command);
    };
    const fresh = await asked(false);
    const converged = await asked(true);
    expect(converged.length).toBeGreaterThan(0);
    for (const question of converged) expect(fresh).toContain(question);
  });

  it('refuses to guess when admin.conf exists but the API does not know the node', async () => {
    const h = harness(makeInventory());
    const t = memoryFs(h.t('cp1')).setFile('/etc/kubernetes/admin.conf', 'kubeconfig');
    t.allow('get node cp1', { code: 1, stderr: 'connection refused' });
    await expect(controlplaneInit.check(h.ctx('cp1'))).rejects.toThrow(/does not list node cp1.*connection refused/);
    expect(t.commands.some((c) => c.includes('reset'))).toBe(false);
  });

  it('an init an earlier run left unfinished (marker present) is reset and run again', async () => {
    const h = harness(makeInventory());
    const t = memoryFs(h.t('cp1'))
      .setFile(INIT_INCOMPLETE, 'kubeadm init started\n')
      .setFile('/etc/kubernetes/admin.conf', 'kubeconfig')
      .setFile(KUBEADM_INIT_RUN_CONFIG, 'token: abcdef.0123456789abcdef\n');
    t.allow('get node cp1', () => ({ code: t.files.has('/etc/kubernetes/admin.conf') ? 0 : 1, stdout: 'node/cp1\n' }))
      .expect(
        /^pkill -f -- 'kubeadm\[\.a-z\]\* \[i\]nit --config \/etc\/kubernetes\/kubesmith\/kubeadm-init\.run\.yaml'; i=0; while pgrep/,
        { code: 0 },
      )
      .expect('kubeadm reset -f', () => (t.files.delete('/etc/kubernetes/admin.conf'), {}))
      .expect(/^kubeadm init --config /, () => (t.setFile('/etc/kubernetes/admin.conf', 'kubeconfig'), {}));
    const check = await controlplaneInit.check(h.ctx('cp1'));
    expectReadOnly(t);
    expect(check.status === 'change' && check.changes[0]!.summary).toMatch(/^reset the init an earlier run left unfinished/);
    await converge(controlplaneInit, h.ctx('cp1'), [t]);
    t.assertDone();
    expect(t.files.has(INIT_INCOMPLETE)).toBe(false);
    expect(t.files.has(KUBEADM_INIT_RUN_CONFIG)).toBe(false);
  });

  it.each([
    ['the init run config', KUBEADM_INIT_RUN_CONFIG],
    ['the join-material config (a run killed while making a token and key)', JOIN_MATERIAL_CONFIG],
  ])('a finished init with a leftover %s (it holds a token) removes only that file', async (_, file) => {
    const h = harness(makeInventory());
    const t = memoryFs(h.t('cp1')).setFile('/etc/kubernetes/admin.conf', 'kubeconfig').setFile(file, 'secret');
    t.allow('get node cp1', { stdout: 'node/cp1\n' });
    const changes = await converge(controlplaneInit, h.ctx('cp1'), [t]);
    expect(changes.map((c) => c.summary)).toEqual([`remove the leftover ${file} (it holds a bootstrap token)`]);
    expect(t.files.has(file)).toBe(false);
    expect(t.commands.some((c) => /kubeadm (init|reset)/.test(c))).toBe(false);
  });
});

describe('controlplane.kubeconfig', () => {
  it('copies admin.conf for root and the sudo user, and fetches it to the admin machine (0600)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-kc-'));
    try {
      const out = join(dir, 'sub', 'admin.conf');
      const inv = makeInventory({ ssh: { user: 'kube' } });
      const h = harness(inv, { options: { kubeconfigOut: out } });
      const t = h.t('cp1').setFile('/etc/kubernetes/admin.conf', 'apiVersion: v1\nkind: Config\n# secret key data\n');
      t.allow('getent passwd kube', { stdout: 'kube:x:1000:1000::/home/kube:/bin/bash\n' });
      const changes = await converge(controlplaneKubeconfig, h.ctx('cp1'), [t]);
      expect(changes.map((c) => c.summary)).toEqual([
        'create /root/.kube/config',
        'create /home/kube/.kube/config',
        `fetch admin.conf to ${out} (admin machine, mode 0600)`,
      ]);
      expect(changes.every((c) => c.diff === undefined)).toBe(true); // the kubeconfig is a secret: no diff
      expect(t.files.get('/home/kube/.kube/config')).toMatchObject({ mode: '0600', owner: 'kube:1000' });
      expect(readFileSync(out, 'utf8')).toContain('kind: Config');
      expect(statSync(out).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('plan before init: unknown', async () => {
    const h = harness(makeInventory());
    expect(await controlplaneKubeconfig.check(h.ctx('cp1', { dryRun: true }))).toMatchObject({ status: 'unknown' });
  });
});

describe('joins', () => {
  function cluster(hosts = haHosts()) {
    const inv = makeInventory({ kubernetes: { controlPlaneEndpoint: 'lb.example:6443' } }, hosts);
    const h = harness(inv);
    const cp1 = h.t('cp1').setFile('/etc/kubernetes/pki/ca.crt', CA);
    const tokens: string[] = [];
    const keys: string[] = [];
    // The secrets reach kubeadm only in the 0600 config (never on a command line), removed right after.
    const material = () => {
      const f = cp1.files.get(JOIN_MATERIAL_CONFIG)!;
      expect(f.mode).toBe('0600');
      return parse(f.content.toString().split('\n---\n')[0]!) as {
        bootstrapTokens: { token: string; ttl: string }[];
        certificateKey?: string;
      };
    };
    cp1.allow(`kubeadm token create --config ${JOIN_MATERIAL_CONFIG}`, () => {
      const m = material();
      expect(m.bootstrapTokens[0]!.ttl).toBe('1h0m0s');
      tokens.push(m.bootstrapTokens[0]!.token);
      return { stdout: `${tokens.at(-1)}\n` };
    });
    cp1.allow(
      `kubeadm init phase upload-certs --upload-certs --config ${JOIN_MATERIAL_CONFIG}`,
      () => (keys.push(material().certificateKey!), {}),
    );
    cp1.allow(`rm -f ${JOIN_MATERIAL_CONFIG}`, () => (cp1.files.delete(JOIN_MATERIAL_CONFIG), {}));
    return { inv, h, cp1, tokens, keys };
  }

  /** A host that joins: kubeadm join writes kubelet.conf and starts the kubelet; `kubelet` is its state before. */
  function joiner(h: ReturnType<typeof cluster>['h'], name: string, seen: string[], kubelet = { active: false }) {
    const t = memoryFs(h.t(name));
    t.allow('kubeadm join --config /etc/kubernetes/kubesmith/kubeadm-join.yaml', () => {
      seen.push(t.fileText(KUBEADM_JOIN_CONFIG)!);
      t.setFile('/etc/kubernetes/kubelet.conf', 'x');
      kubelet.active = true;
      return {};
    });
    t.allow('systemctl is-active --quiet kubelet', () => ({ code: kubelet.active ? 0 : 3 }));
    t.allow('systemctl start kubelet', () => ((kubelet.active = true), {}));
    return t;
  }

  it('control plane: fresh certificate key + token, CA hash computed locally, secrets never displayed, config removed', async () => {
    const { h, cp1, tokens, keys } = cluster();
    const seen: string[] = [];
    const t = joiner(h, 'cp2', seen);
    const check = await controlplaneJoin.check(h.ctx('cp2'));
    expectReadOnly(t, cp1);
    expect(check.status).toBe('change');
    await converge(controlplaneJoin, h.ctx('cp2'), [t, cp1]);
    const cfg = parse(seen[0]!);
    expect(cfg.discovery.bootstrapToken).toEqual({
      apiServerEndpoint: 'lb.example:6443',
      token: tokens[0],
      caCertHashes: ['sha256:e3c96783f6b69f5ffd75a6a74be1d26850f78fc1df6c106b7d63fa5f7927daa7'],
    });
    expect(cfg.controlPlane).toEqual({ localAPIEndpoint: { advertiseAddress: '10.0.0.12', bindPort: 6443 }, certificateKey: keys[0] });
    expect(tokens[0]).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    expect(keys[0]).toMatch(/^[a-f0-9]{64}$/);
    expect(t.files.has(KUBEADM_JOIN_CONFIG)).toBe(false);
    expect(cp1.files.has(JOIN_MATERIAL_CONFIG)).toBe(false);
    // no command line holds a secret, not even in the text sent to the shell
    const sent = [...cp1.calls, ...t.calls].map((c) => `${c.command}\n${c.text ?? ''}`).join('\n');
    expect(sent).not.toContain(tokens[0]);
    expect(sent).not.toContain(keys[0]);
    const shown = [...cp1.calls, ...t.calls].map((c) => c.command).join('\n');
    expect(shown).not.toContain(tokens[0]);
    expect(shown).not.toContain(keys[0]);
    const joinCall = t.calls.find((c) => c.command.startsWith('kubeadm join'))!;
    expect((joinCall.opts as { secrets?: string[] }).secrets).toEqual([tokens[0], keys[0]]);
  });

  it('workers share one token per run and get no certificate key', async () => {
    const { h, cp1, tokens, keys } = cluster(makeInventory().spec.hosts);
    const seen: string[] = [];
    const w1 = joiner(h, 'w1', seen);
    const w2 = joiner(h, 'w2', seen);
    await Promise.all([converge(workerJoin, h.ctx('w1'), [w1, cp1]), converge(workerJoin, h.ctx('w2'), [w2, cp1])]);
    expect(tokens).toHaveLength(1);
    expect(seen.map((s) => parse(s).discovery.bootstrapToken.token)).toEqual([tokens[0], tokens[0]]);
    expect(keys).toHaveLength(0);
    expect(parse(seen[0]!).controlPlane).toBeUndefined();
  });

  it('an already joined host is ok without touching the first control plane', async () => {
    const { h, cp1 } = cluster();
    const w = joiner(h, 'w1', [], { active: true });
    w.setFile('/etc/kubernetes/kubelet.conf', 'x');
    expect(await workerJoin.check(h.ctx('w1'))).toEqual({ status: 'ok' });
    expect(cp1.calls).toEqual([]);
  });

  it('a joined host whose kubelet is not running (a join killed before its kubelet-start phase) gets the kubelet started', async () => {
    const { h, cp1 } = cluster();
    const kubelet = { active: false };
    const w = joiner(h, 'w1', [], kubelet);
    w.setFile('/etc/kubernetes/kubelet.conf', 'x');
    const changes = await converge(workerJoin, h.ctx('w1'), [w, cp1]);
    expect(changes.map((c) => c.summary)).toEqual([
      'start the kubelet: /etc/kubernetes/kubelet.conf is there but the kubelet is not running (a join stopped before it started it)',
    ]);
    expect(kubelet.active).toBe(true);
    expect(cp1.calls).toEqual([]);
  });

  it('a joined host with a leftover join config (a killed run; it holds the token) only removes that file', async () => {
    const { h, cp1 } = cluster();
    const w = joiner(h, 'w1', [], { active: true });
    w.setFile('/etc/kubernetes/kubelet.conf', 'x').setFile(KUBEADM_JOIN_CONFIG, 'token: abcdef.0123456789abcdef');
    const changes = await converge(workerJoin, h.ctx('w1'), [w, cp1]);
    expect(changes.map((c) => c.summary)).toEqual([`remove the leftover ${KUBEADM_JOIN_CONFIG} (it holds a bootstrap token)`]);
    expect(w.files.has(KUBEADM_JOIN_CONFIG)).toBe(false);
    expect(cp1.calls).toEqual([]);
  });
});

describe('the leftover kubeadm init of a killed run', () => {
  it('is found by its command line (kubeadm itself or a wrapper script), never the shell that looks for it', () => {
    const re = new RegExp(LEFTOVER_INIT); // pkill/pgrep -f: extended regex on the whole command line
    expect(re.test(`kubeadm init --config ${KUBEADM_INIT_RUN_CONFIG} --skip-token-print --skip-certificate-key-print`)).toBe(true);
    expect(re.test(`node /opt/lab/kubeadm.js init --config ${KUBEADM_INIT_RUN_CONFIG} --skip-token-print`)).toBe(true);
    expect(re.test(`sh -c pkill -f -- '${LEFTOVER_INIT}'; while pgrep -f -- '${LEFTOVER_INIT}'`)).toBe(false);
    expect(re.test(`kubeadm init --config /root/other.yaml`)).toBe(false);
    expect(re.test(`kubeadm join --config ${KUBEADM_INIT_RUN_CONFIG}`)).toBe(false);
  });
});

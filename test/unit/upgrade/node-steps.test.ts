/**
 * A control plane's upgrade steps on a simulated Debian host (recording transport): package DB, holds, the
 * kube-apiserver manifest that `kubeadm upgrade apply` rewrites. Proves the order, the exact versions, the record
 * written after each step, and that a re-run never repeats a completed `kubeadm upgrade apply`.
 */
import { describe, expect, it } from 'vitest';
import { upgradeControlPlane } from '../../../src/tasks/upgrade/control-plane.js';
import { recordPath } from '../../../src/tasks/upgrade/record.js';
import {
  APISERVER_MANIFEST,
  clusterConfigVersion,
  drainFailure,
  kubeProxyVersion,
  manifestVersion,
  staticPodsVersion,
} from '../../../src/tasks/upgrade/node-steps.js';
import type { RecordingTransport } from '../../../src/transport/recording.js';
import { manifest, run, setStaticPods, simulate, TARGET } from './simulated-host.js';
import { harness } from '../tasks/helpers/context.js';
import { makeInventory } from '../tasks/helpers/inventory.js';

const inventory = () =>
  makeInventory({ kubernetes: { version: TARGET } }, [
    { name: 'cp1', address: '10.199.0.10', roles: ['control-plane'] },
    { name: 'cp2', address: '10.199.0.11', roles: ['control-plane'] },
    { name: 'w1', address: '10.199.0.12', roles: ['worker'] },
  ]);

const kinds = (t: RecordingTransport) =>
  t.commands
    .filter((c) => !/^(dpkg-query|install -d|kubectl --kubeconfig \S+ -n kube-system get (configmap|daemonset))/.test(c))
    .map((c) => c.replace(/^kubectl --kubeconfig \S+ /, 'kubectl '));

describe('upgrade.control-plane', () => {
  it('first control plane: repository, kubeadm, images then upgrade apply, drain, kubelet+kubectl held, restart, uncordon', async () => {
    const h = harness(inventory(), { options: { upgrade: run() } });
    const t = h.t('cp1');
    const db = simulate(t, '1.33.5');
    const check = await upgradeControlPlane.check(h.ctx('cp1'));
    expect(check.status).toBe('change');
    expect(t.calls.filter((c) => c.kind === 'writeFile')).toEqual([]); // check wrote nothing
    const changes = check.status === 'change' ? check.changes : [];
    expect(changes.map((c) => c.summary)).toEqual([
      'update /etc/apt/sources.list.d/kubernetes.list: the v1.34 repository',
      'install kubeadm 1.34.1 (held)',
      'kubeadm upgrade apply v1.34.1 (images pulled first)',
      'cordon and drain cp1 (PodDisruptionBudgets honoured, timeout 120s)',
      'install kubelet and kubectl 1.34.1 (held), restart the kubelet',
      'uncordon cp1',
    ]);
    await upgradeControlPlane.apply(h.ctx('cp1'), changes);
    expect(kinds(t)).toEqual([
      expect.stringMatching(/apt-get .*update$/),
      expect.stringMatching(/apt-get .*install -y .*kubeadm=1\.34\.1-1\.1$/),
      'apt-mark hold kubeadm',
      'kubeadm upgrade apply v1.34.1 --yes',
      'kubectl drain cp1 --ignore-daemonsets --delete-emptydir-data --timeout=120s',
      expect.stringMatching(/apt-get .*install -y .*kubelet=1\.34\.1-1\.1 kubectl=1\.34\.1-1\.1$/),
      'apt-mark hold kubelet kubectl',
      'systemctl daemon-reload',
      'systemctl restart kubelet',
      'kubectl uncordon cp1',
    ]);
    expect([...db].map(([n, s]) => `${n} ${s.version} ${s.held}`)).toEqual([
      'kubeadm 1.34.1-1.1 true',
      'kubelet 1.34.1-1.1 true',
      'kubectl 1.34.1-1.1 true',
    ]);
    expect(JSON.parse(t.fileText(recordPath(TARGET))!)).toEqual({
      target: TARGET,
      done: ['repository', 'kubeadm', 'kubeadm-upgrade', 'drain', 'kubelet', 'uncordon'],
    });
    expect(await upgradeControlPlane.check(h.ctx('cp1'))).toEqual({ status: 'ok' });
  });

  it('a re-run after a kill between `kubeadm upgrade apply` and its record never applies again: the cluster says it is done', async () => {
    const h = harness(inventory(), { options: { upgrade: run() } });
    const t = h.t('cp1');
    Object.assign(simulate(t, '1.33.5').cluster, { version: TARGET, kubeProxy: TARGET }); // apply finished, never recorded
    setStaticPods(t, TARGET);
    t.setFile(recordPath(TARGET), JSON.stringify({ target: TARGET, done: ['repository', 'kubeadm'] }));
    const check = await upgradeControlPlane.check(h.ctx('cp1'));
    const summaries = check.status === 'change' ? check.changes.map((c) => c.summary) : [];
    expect(summaries.some((s) => s.includes('kubeadm upgrade'))).toBe(false);
    expect(summaries).toContain('cordon and drain cp1 (PodDisruptionBudgets honoured, timeout 120s)');
  });

  it('steps the host shows done but a kill left unrecorded (repository, kubeadm) are recorded with the next step', async () => {
    const h = harness(inventory(), { options: { upgrade: run() } });
    const t = h.t('cp1');
    const db = simulate(t, '1.33.5');
    t.setFile(
      '/etc/apt/sources.list.d/kubernetes.list',
      'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.34/deb/ /\n',
    );
    db.set('kubeadm', { version: '1.34.1-1.1', held: true }); // installed and held; killed before its record
    const check = await upgradeControlPlane.check(h.ctx('cp1'));
    const changes = check.status === 'change' ? check.changes : [];
    expect(changes[0]?.summary).toBe('kubeadm upgrade apply v1.34.1 (images pulled first)');
    await upgradeControlPlane.apply(h.ctx('cp1'), changes.slice(0, 1));
    expect(JSON.parse(t.fileText(recordPath(TARGET))!).done).toEqual(['repository', 'kubeadm', 'kubeadm-upgrade']);
  });

  it('a half-done apply (killed after the API server manifest, before kubeadm-config, before the addons) runs again', async () => {
    for (const done of ['apiserver', 'static pods', 'upload-config'] as const) {
      const h = harness(inventory(), { options: { upgrade: run() } });
      const t = h.t('cp1');
      const { cluster } = simulate(t, '1.33.5');
      if (done === 'apiserver') t.setFile(APISERVER_MANIFEST, manifest(TARGET));
      else setStaticPods(t, TARGET); // every static pod, but kubeadm-config still names 1.33.5
      if (done === 'upload-config') cluster.version = TARGET; // kubeadm-config uploaded; kube-proxy (addon phase) still 1.33.5
      const check = await upgradeControlPlane.check(h.ctx('cp1'));
      const summaries = check.status === 'change' ? check.changes.map((c) => c.summary) : [];
      expect(summaries, done).toContain('kubeadm upgrade apply v1.34.1 (images pulled first)');
    }
  });

  it('a re-run after a recorded drain continues with the kubelet and does not drain again', async () => {
    const h = harness(inventory(), { options: { upgrade: run() } });
    const t = h.t('cp1');
    simulate(t, '1.33.5');
    setStaticPods(t, TARGET);
    t.setFile(recordPath(TARGET), JSON.stringify({ target: TARGET, done: ['repository', 'kubeadm', 'kubeadm-upgrade', 'drain'] }));
    const check = await upgradeControlPlane.check(h.ctx('cp1'));
    expect(check.status === 'change' && check.changes.map((c) => c.summary)).toEqual([
      'update /etc/apt/sources.list.d/kubernetes.list: the v1.34 repository',
      'install kubeadm 1.34.1 (held)',
      'install kubelet and kubectl 1.34.1 (held), restart the kubelet',
      'uncordon cp1',
    ]);
  });

  it('other control planes run `kubeadm upgrade node`; --certificate-renewal=false is passed through', async () => {
    const h = harness(inventory(), { options: { upgrade: run({ certificateRenewal: false }) } });
    const t = h.t('cp2');
    simulate(t, '1.33.5');
    h.t('cp1').allow(/^kubectl --kubeconfig \S+ (drain|uncordon) cp2/, {});
    const check = await upgradeControlPlane.check(h.ctx('cp2'));
    const changes = check.status === 'change' ? check.changes : [];
    expect(changes.map((c) => c.summary)).toContain('kubeadm upgrade node --certificate-renewal=false');
    await upgradeControlPlane.apply(h.ctx('cp2'), changes);
    expect(t.commands).toContain('kubeadm upgrade node --certificate-renewal=false');
    expect(t.commands.some((c) => c.startsWith('kubeadm upgrade apply'))).toBe(false);
    expect(h.t('cp1').commands.map((c) => c.replace(/^kubectl --kubeconfig \S+ /, ''))).toEqual([
      'drain cp2 --ignore-daemonsets --delete-emptydir-data --timeout=120s',
      'uncordon cp2',
    ]);
  });

  it('another control plane has run `kubeadm upgrade node` once kube-proxy runs the target too: not again; else again', async () => {
    const h = harness(inventory(), { options: { upgrade: run() } });
    const t = h.t('cp2');
    const db = simulate(t, '1.33.5');
    t.setFile(APISERVER_MANIFEST, manifest(TARGET)); // killed after the API server, before the controller-manager
    const half = await upgradeControlPlane.check(h.ctx('cp2'));
    expect(half.status === 'change' && half.changes.map((c) => c.summary)).toContain('kubeadm upgrade node');
    setStaticPods(t, TARGET); // killed after its control-plane phase: its kubelet-config and addon phases may not have run
    const unproven = await upgradeControlPlane.check(h.ctx('cp2'));
    expect(unproven.status === 'change' && unproven.changes.map((c) => c.summary)).toContain('kubeadm upgrade node');
    db.cluster.kubeProxy = TARGET; // the addon phase, its last, ran
    const check = await upgradeControlPlane.check(h.ctx('cp2'));
    expect(check.status === 'change' && check.changes.map((c) => c.summary).filter((s) => s.includes('kubeadm upgrade'))).toEqual([]);
  });

  it('a drain that times out uncordons the node and stops with the reason (default policy: stop)', async () => {
    const h = harness(inventory(), { options: { upgrade: run() } });
    const t = h.t('cp1');
    const timeout = 'error: error when evicting pods/"web-1" -n "default": global timeout reached: 2m0s';
    t.expect(/ drain cp1 /, { code: 1, stderr: `evicting pod default/web-1\n${timeout}\n` }); // before simulate()'s allow
    simulate(t, '1.33.5');
    t.setFile(APISERVER_MANIFEST, manifest(TARGET));
    t.setFile(recordPath(TARGET), JSON.stringify({ target: TARGET, done: ['repository', 'kubeadm', 'kubeadm-upgrade'] }));
    const check = await upgradeControlPlane.check(h.ctx('cp1'));
    await expect(upgradeControlPlane.apply(h.ctx('cp1'), check.status === 'change' ? check.changes : [])).rejects.toThrow(
      /drain of cp1 failed, so it was uncordoned and not upgraded: .*global timeout reached/,
    );
    expect(t.commands.filter((c) => / (uncordon|restart) /.test(` ${c} `)).map((c) => c.replace(/^kubectl --kubeconfig \S+ /, ''))).toEqual(
      ['uncordon cp1'],
    );
  });
});

describe('manifestVersion, staticPodsVersion, clusterConfigVersion, kubeProxyVersion', () => {
  it('a component image tag in its static pod manifest; one version only when every control plane pod names it', () => {
    expect(manifestVersion(manifest('1.34.1'))).toBe('1.34.1');
    expect(manifestVersion(manifest('1.34.1', 'kube-scheduler'), 'kube-scheduler')).toBe('1.34.1');
    expect(manifestVersion(manifest('1.34.1', 'kube-scheduler'))).toBeUndefined();
    const pods = (v: string[]) => ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map((c, i) => manifest(v[i]!, c));
    expect(staticPodsVersion(pods(['1.34.1', '1.34.1', '1.34.1']))).toBe('1.34.1');
    expect(staticPodsVersion(pods(['1.34.1', '1.33.5', '1.33.5']))).toBeUndefined();
    expect(staticPodsVersion([manifest('1.34.1'), null, null])).toBeUndefined();
    expect(clusterConfigVersion('apiServer: {}\nkubernetesVersion: v1.34.1\nnetworking: {}\n')).toBe('1.34.1');
    expect(clusterConfigVersion('apiVersion: kubeadm.k8s.io/v1beta4\n')).toBeUndefined();
    expect(manifestVersion('image: registry.k8s.io/etcd:3.6.4-0\n')).toBeUndefined();
    expect(manifestVersion(null)).toBeUndefined();
    expect(kubeProxyVersion('registry.k8s.io/kube-proxy:v1.34.1\n')).toBe('1.34.1');
    expect(kubeProxyVersion('127.0.0.1:5000/kube-proxy:v1.33.5')).toBe('1.33.5');
    expect(kubeProxyVersion('')).toBeUndefined(); // no kube-proxy DaemonSet (--ignore-not-found)
  });
});

describe('drainFailure', () => {
  // kubectl drain's stderr when a PodDisruptionBudget refuses evictions until --timeout (kubectl pkg/drain evictPods)
  const refused = (pod: string) =>
    `error when evicting pods/"${pod}" -n "default" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.`;
  it('names the refusal the API server gave and the options that decide a timeout', () => {
    const stderr = [
      refused('web-1'),
      refused('web-1'),
      'error when evicting pods/"web-1" -n "default": global timeout reached: 15s',
      '',
    ].join('\n');
    expect(drainFailure(stderr)).toBe(
      `${refused('web-1')} error when evicting pods/"web-1" -n "default": global timeout reached: 15s; ` +
        "eviction refused: Cannot evict pod as it would violate the pod's disruption budget.; " +
        'raise --drain-timeout, or choose --on-drain-timeout skip|disable-eviction',
    );
  });
  it('other failures: kubectl last lines only', () => {
    expect(drainFailure('error: unable to drain node "w1" due to error: cannot delete Pods declare no controller\n')).toBe(
      'error: unable to drain node "w1" due to error: cannot delete Pods declare no controller',
    );
  });
});

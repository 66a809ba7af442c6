/** A simulated Debian node for the upgrade tasks' unit tests (recording transport). */
import type { RecordingTransport } from '../../../src/transport/recording.js';
import type { UpgradeRun } from '../../../src/upgrade/options.js';

export const TARGET = '1.34.1';
export const manifest = (v: string, component = 'kube-apiserver') =>
  `spec:\n  containers:\n  - command:\n    - ${component}\n    image: registry.k8s.io/${component}:v${v}\n`;
const COMPONENTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];
/** Every control plane static pod manifest at `v` (what `kubeadm upgrade apply|node` leaves). */
export function setStaticPods(t: RecordingTransport, v: string): void {
  for (const c of COMPONENTS) t.setFile(`/etc/kubernetes/manifests/${c}.yaml`, manifest(v, c));
}
export const run = (over: Partial<UpgradeRun> = {}): UpgradeRun => ({
  target: TARGET,
  from: '1.33.5',
  maxUnavailable: 1,
  drainTimeoutSeconds: 120,
  onDrainTimeout: 'stop',
  controlPlaneOnly: false,
  certificateRenewal: true,
  ...over,
});

/**
 * A Debian control plane at `from`: dpkg-query, apt-get install, apt-mark hold, kubeadm and kubectl behave; the
 * package DB is returned, with `cluster`: kubeadm-config's version and kube-proxy's (its DaemonSet's image tag).
 */
export function simulate(t: RecordingTransport, from: string) {
  const db = new Map(['kubeadm', 'kubelet', 'kubectl'].map((p) => [p, { version: `${from}-1.1`, held: true }]));
  setStaticPods(t, from);
  const cluster = { version: from, kubeProxy: from }; // kubeadm-config's ClusterConfiguration, kube-proxy's image
  t.setFile(
    '/etc/apt/sources.list.d/kubernetes.list',
    `deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v${from.split('.').slice(0, 2).join('.')}/deb/ /\n`,
  );
  t.allow(/^dpkg-query /, () => ({
    stdout: [...db].map(([n, s]) => `${n}|${s.held ? 'hold' : 'install'} ok installed|${s.version}\n`).join(''),
  }));
  t.allow(/apt-get .*install /, (c) => {
    for (const m of c.command.matchAll(/(kubeadm|kubelet|kubectl)=(\S+)/g))
      db.set(m[1]!, { version: m[2]!.replace('*', '1.1'), held: db.get(m[1]!)!.held });
    return {};
  });
  t.allow(/apt-get .*update$/, {});
  t.allow(
    /^apt-mark hold /,
    (c) => (
      c.command
        .split(' ')
        .slice(2)
        .forEach((p) => (db.get(p)!.held = true)),
      {}
    ),
  );
  t.allow(/^kubeadm upgrade apply /, (c) => {
    cluster.version = /apply v(\S+)/.exec(c.command)![1]!;
    setStaticPods(t, cluster.version);
    cluster.kubeProxy = cluster.version; // its last phase: the addons
    return {};
  });
  t.allow(/^kubeadm upgrade node/, {});
  t.allow(/^kubectl --kubeconfig \S+ -n kube-system get configmap kubeadm-config /, () => ({
    stdout: `apiServer: {}\nkubernetesVersion: v${cluster.version}\nnetworking: {}\n`,
  }));
  t.allow(/^kubectl --kubeconfig \S+ -n kube-system get daemonset kube-proxy --ignore-not-found /, () => ({
    stdout: `registry.k8s.io/kube-proxy:v${cluster.kubeProxy}`,
  }));
  t.allow(/^kubectl --kubeconfig \S+ (drain|uncordon) /, {});
  t.allow(/^systemctl (daemon-reload|restart kubelet)$/, {});
  t.allow(/^install -d -m 0755 \/var\/lib\/kubesmith\/upgrade$/, {});
  return Object.assign(db, { cluster });
}

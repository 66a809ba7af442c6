// Emulated kubelet binary. The "running" kubelet is not a process: lab-node-sync derives it from the unit
// state (systemctl emulator), /var/lib/kubelet/config.yaml and the swap rule (failSwapOn). A future real
// static-pod runner (e.g. Debian's etcd for /etc/kubernetes/manifests/etcd.yaml) would hook in here.
import { ExitError, main, out } from './lab.js';
import { binaryVersion } from './kube-versions.js';

await main('kubelet', (args) => {
  if (args.includes('--version') || args.includes('version')) return out(`Kubernetes ${binaryVersion('kubelet')}`);
  throw new ExitError("E0000 kubelet: the lab's kubelet runs only as the emulated kubelet.service (systemctl start kubelet)");
});

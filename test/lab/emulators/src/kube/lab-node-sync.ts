// lab-node-sync: publish this host's node status to the shared cluster state (no-op outside a cluster).
// `lab-node-sync keypool fill N [ALGORITHM]` pre-generates private keys for the lab's kubeadm (see pki.ts).
// `lab-node-sync serving-wait`: the kubelet waiting on its serving CSR (node-state.ts watchServing; not for people).
import { ExitError, main, out } from './lab.js';
import { kubeletStart, syncNode, watchServing } from './node-state.js';
import { fillKeyPool, type PoolAlgorithm } from './keypool.js';
import { clusterDir } from './lab.js';

await main('lab-node-sync', (args) => {
  if (args[0] === 'keypool') {
    const count = Number(args[2]);
    if (args[1] !== 'fill' || !(count >= 0))
      throw new ExitError('usage: lab-node-sync keypool fill N [RSA-2048|RSA-3072|RSA-4096|ECDSA-P256]');
    return out(`keypool ${args[3] ?? 'RSA-2048'}: ${fillKeyPool(clusterDir(), (args[3] ?? 'RSA-2048') as PoolAlgorithm, count)} keys`);
  }
  if (args[0] === 'serving-wait') return watchServing();
  if (args[0] === 'kubelet-start') {
    const code = kubeletStart();
    if (code) throw new ExitError('', code);
    return;
  }
  const name = syncNode();
  if (args.includes('-v') && name) out(`synced node ${name}`);
});

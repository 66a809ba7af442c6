// `kubectl certificate approve|deny NAME...` (k8s.io/kubectl pkg/cmd/certificates): adds the Approved or Denied
// condition and prints "certificatesigningrequest.certificates.k8s.io/NAME approved"; the controller-manager's signer
// then issues approved kubelet-serving requests (kubelet-serving-csr.ts). A missing name is the API's NotFound.
import { type Cluster, objectKey, updateState } from './cluster-state.js';
import { ExitError, out } from './lab.js';
import type { Parsed } from './args.js';
import { decide, signServing } from './kubelet-serving-csr.js';

export function certificate(c: Cluster, p: Parsed): void {
  const [verb, ...names] = p.positional;
  if (verb !== 'approve' && verb !== 'deny') throw new ExitError(`error: unknown command "${verb ?? ''}" for "kubectl certificate"`);
  if (!names.length) throw new ExitError('error: one or more CSRs must be specified as <name> or -f <filename>');
  const lines: string[] = [];
  for (const name of names) {
    const done = updateState((s) => {
      const cl = s.clusters[c.id]!;
      const csr = cl.objects[objectKey('CertificateSigningRequest', undefined, name)];
      if (!csr) return false;
      decide(csr, verb === 'approve');
      if (verb === 'approve') signServing(cl, csr);
      return true;
    });
    if (!done)
      throw new ExitError(
        [...lines, `Error from server (NotFound): certificatesigningrequests.certificates.k8s.io "${name}" not found`].join('\n'),
      );
    lines.push(`certificatesigningrequest.certificates.k8s.io/${name} ${verb === 'approve' ? 'approved' : 'denied'}`);
  }
  out(lines.join('\n'));
}

// kubeadm token *, init phase upload-certs, certs certificate-key|check-expiration|renew.
import { updateState } from './cluster-state.js';
import { ExitError, exists, now, readText, out } from './lab.js';
import { type Parsed, bool, flag, flagAll, parseDuration } from './args.js';
import {
  TOKEN_RE,
  clusterFromKubeconfig,
  clusterHash,
  generateCertificateKey,
  generateToken,
  joinCommandLine,
  pkiContext,
  stackHint,
  uploadCerts,
} from './kubeadm-common.js';
import { rfc3339, shortHumanDuration, tabwrite, expiryDate } from './table.js';
import { initConfigurationFromFile, validateMixedArguments } from './kubeadm-config.js';
import { CAS, KUBECONFIGS, LEAVES, parseKubeconfig, renewKubeconfig, renewLeaf } from './kubeadm-pki.js';
import { certInfo } from './pki.js';
import { hostName } from './lab.js';

const kubeconfigFlag = (p: Parsed) => flag(p, 'kubeconfig') ?? '/etc/kubernetes/admin.conf';

export function tokenCommand(sub: string | undefined, p: Parsed): void {
  if (sub === 'generate') return out(generateToken());
  const c = clusterFromKubeconfig(kubeconfigFlag(p));
  if (sub === 'create') {
    validateMixedArguments(p.flags);
    // With --config the token and its properties come from the file's InitConfiguration.bootstrapTokens[0] (the
    // positional token and the flags are then ignored or refused, as kubeadm does): the secret stays off the command line.
    const ic = initConfigurationFromFile(flag(p, 'config'), readText);
    const bt = ic ? ((ic.bootstrapTokens ?? [])[0] ?? {}) : undefined;
    const token = (bt ? bt.token : p.positional[0]) ?? generateToken();
    if (!TOKEN_RE.test(token))
      throw new ExitError(`error: the bootstrap token "${token}" was not of the form "[a-z0-9]{6}.[a-z0-9]{16}"\n${stackHint}`);
    const ttl = parseDuration(String((bt ? bt.ttl : flag(p, 'ttl')) ?? '24h0m0s'));
    const listed = (name: 'usages' | 'groups', fallback: string[]) =>
      (bt ? (bt[name] as string[] | undefined) : flagAll(p, name).length ? flagAll(p, name) : undefined) ?? fallback;
    const [id, secret] = token.split('.') as [string, string];
    updateState((s) => {
      const cl = s.clusters[c.id]!;
      cl.tokens[id] = {
        id,
        secret,
        description: (bt ? bt.description : flag(p, 'description')) ?? '',
        usages: listed('usages', ['signing', 'authentication']),
        groups: listed('groups', ['system:bootstrappers:kubeadm:default-node-token']),
        created: now(),
        expires: ttl === 0 ? null : now() + ttl,
      };
    });
    if (!bool(p, 'print-join-command')) return out(token);
    const key = flag(p, 'certificate-key');
    return out(joinCommandLine({ endpoint: c.endpoint, token, hash: clusterHash(c), controlPlane: !!key, certificateKey: key }));
  }
  if (sub === 'list') {
    const rows = [['TOKEN', 'TTL', 'EXPIRES', 'USAGES', 'DESCRIPTION', 'EXTRA GROUPS']];
    for (const t of Object.values(c.tokens).sort((a, b) => a.created - b.created)) {
      if (t.expires !== null && t.expires <= now()) continue;
      rows.push([
        `${t.id}.${t.secret}`,
        t.expires === null ? '<forever>' : shortHumanDuration(t.expires - now()),
        t.expires === null ? '<never>' : rfc3339(t.expires),
        [...t.usages].sort().join(','),
        t.description || '<none>',
        t.groups.join(','),
      ]);
    }
    return void process.stdout.write(tabwrite(rows));
  }
  if (sub === 'delete') {
    if (!p.positional.length)
      throw new ExitError(
        `error: missing argument; 'token delete' is missing token of form "[a-z0-9]{6}" or "[a-z0-9]{6}.[a-z0-9]{16}"\n${stackHint}`,
      );
    for (const arg of p.positional) {
      const id = arg.split('.')[0]!;
      const found = updateState((s) => {
        const cl = s.clusters[c.id]!;
        const had = !!cl.tokens[id];
        delete cl.tokens[id];
        return had;
      });
      if (!found)
        throw new ExitError(`error: failed to delete bootstrap token "${id}": secrets "bootstrap-token-${id}" not found\n${stackHint}`);
      out(`bootstrap token "${id}" deleted`);
    }
    return;
  }
  throw new ExitError(`error: unknown command "${sub ?? ''}" for "kubeadm token"`);
}

export function uploadCertsPhase(p: Parsed): void {
  if (!bool(p, 'upload-certs')) return out('[upload-certs] Skipping phase. Please see --upload-certs');
  validateMixedArguments(p.flags);
  const c = clusterFromKubeconfig(kubeconfigFlag(p));
  const ic = initConfigurationFromFile(flag(p, 'config'), readText);
  const key = (ic ? ic.certificateKey : flag(p, 'certificate-key')) ?? generateCertificateKey();
  const certDir = (c.clusterConfiguration as any).certificatesDir ?? '/etc/kubernetes/pki';
  if (!exists(`${certDir}/ca.key`))
    throw new ExitError(
      `error: error execution phase upload-certs: error uploading certs: failed to load CA: couldn't load the private key file ${certDir}/ca.key: open ${certDir}/ca.key: no such file or directory\n${stackHint}`,
    );
  updateState((s) => uploadCerts(s.clusters[c.id]!, key, certDir));
  out(
    `[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n[upload-certs] Using certificate key:\n${key}`,
  );
}

const CONF_NAMES = KUBECONFIGS.map((k) => k.name);

export function checkExpiration(p: Parsed): void {
  const certDir = flag(p, 'cert-dir') ?? '/etc/kubernetes/pki';
  out('[check-expiration] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...');
  out("[check-expiration] Use 'kubeadm init phase upload-config kubeadm --config your-config-file' to re-upload it.\n\n");
  const t = now();
  const external = (ca: string) => (exists(`${certDir}/${CAS.find((c) => c.name === ca)!.file}.key`) ? 'no' : 'yes');
  const entries: [string, string | undefined, string][] = [
    ...LEAVES.map((l) => [l.name, readText(`${certDir}/${l.file}.crt`), l.ca] as [string, string | undefined, string]),
    ...CONF_NAMES.map((n) => {
      const kc = readText(`/etc/kubernetes/${n}`);
      return [n, kc ? parseKubeconfig(kc).cert : undefined, 'ca'] as [string, string | undefined, string];
    }),
  ].sort((a, b) => a[0].localeCompare(b[0]));
  const rows = [['CERTIFICATE', 'EXPIRES', 'RESIDUAL TIME', 'CERTIFICATE AUTHORITY', 'EXTERNALLY MANAGED']];
  for (const [name, pem, ca] of entries) {
    if (!pem) {
      rows.push([`!MISSING! ${name}`, '', '', '', '']);
      continue;
    }
    const end = certInfo(pem).notAfter;
    rows.push([name, expiryDate(end), shortHumanDuration(end - t), ca, external(ca)]);
  }
  process.stdout.write(tabwrite(rows) + '\n');
  const caRows = [['CERTIFICATE AUTHORITY', 'EXPIRES', 'RESIDUAL TIME', 'EXTERNALLY MANAGED']];
  for (const ca of [...CAS].sort((a, b) => a.name.localeCompare(b.name))) {
    const pem = readText(`${certDir}/${ca.file}.crt`);
    if (!pem) {
      caRows.push([`!MISSING! ${ca.name}`, '', '', '']);
      continue;
    }
    const end = certInfo(pem).notAfter;
    caRows.push([ca.name, expiryDate(end), shortHumanDuration(end - t), external(ca.name)]);
  }
  process.stdout.write(tabwrite(caRows));
}

const RENEW_TEXT: Record<string, string> = {
  'admin.conf': 'certificate embedded in the kubeconfig file for the admin to use and for kubeadm itself',
  apiserver: 'certificate for serving the Kubernetes API',
  'apiserver-etcd-client': 'certificate the apiserver uses to access etcd',
  'apiserver-kubelet-client': 'certificate for the API server to connect to kubelet',
  'controller-manager.conf': 'certificate embedded in the kubeconfig file for the controller manager to use',
  'etcd-healthcheck-client': 'certificate for liveness probes to healthcheck etcd',
  'etcd-peer': 'certificate for etcd nodes to communicate with each other',
  'etcd-server': 'certificate for serving etcd',
  'front-proxy-client': 'certificate for the front proxy client',
  'scheduler.conf': 'certificate embedded in the kubeconfig file for the scheduler manager to use',
  'super-admin.conf': 'certificate embedded in the kubeconfig file for the super-admin',
};

export function renew(p: Parsed): void {
  const what = p.positional[0];
  const names = Object.keys(RENEW_TEXT);
  if (!what || (what !== 'all' && !names.includes(what))) {
    throw new ExitError(`error: unknown command "${what ?? ''}" for "kubeadm certs renew"\nRun 'kubeadm certs renew --help' for usage.`);
  }
  const c = clusterFromKubeconfig(flag(p, 'kubeconfig') ?? '/etc/kubernetes/admin.conf');
  const cc = c.clusterConfiguration as Record<string, any>;
  const certDir = flag(p, 'cert-dir') ?? cc.certificatesDir ?? '/etc/kubernetes/pki';
  const ctx = { ...pkiContext(cc, { name: hostName(), address: '', bindPort: 6443 }), certDir };
  out('[renew] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...');
  out("[renew] Use 'kubeadm init phase upload-config kubeadm --config your-config-file' to re-upload it.\n\n");
  const todo = what === 'all' ? names : [what];
  for (const name of todo) {
    const leaf = LEAVES.find((l) => l.name === name);
    const kc = `/etc/kubernetes/${name}`;
    if (leaf && !exists(`${certDir}/${leaf.file}.crt`)) {
      out(`MISSING! ${RENEW_TEXT[name]}`);
      continue;
    }
    if (!leaf && !exists(kc)) {
      out(`MISSING! ${RENEW_TEXT[name]}`);
      continue;
    }
    try {
      if (leaf) renewLeaf(ctx, leaf.file, leaf.ca);
      else renewKubeconfig(ctx, kc);
    } catch (e) {
      throw new ExitError(`error: failed to renew certificate ${name}: ${(e as Error).message}\n${stackHint}`);
    }
    out(`${RENEW_TEXT[name]} renewed`);
  }
  if (todo.includes('apiserver')) {
    const end = certInfo(readText(`${certDir}/apiserver.crt`)!).notAfter;
    updateState((s) => {
      const cl = s.clusters[c.id];
      const self = cl && Object.values(cl.nodes).find((n) => n.host === hostName());
      const member = self && cl.controlPlane[self.name];
      if (member) member.apiserverNotAfter = end;
    });
  }
  if (what === 'all')
    out(
      '\nDone renewing certificates. You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and etcd, so that they can use the new certificates.',
    );
}

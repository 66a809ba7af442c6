// kubeadm init phase certs apiserver: (re)issue this control plane's API server certificate from the configuration,
// the step kubeadm's "Reconfiguring a kubeadm cluster" page gives for new certSANs (move the old pair away first:
// with both files present kubeadm keeps them, and refuses them when they lack a SAN the configuration asks for —
// WriteCertificateFilesIfNotExist / validateCertificateWithConfig in cmd/kubeadm/app/phases/certs/certs.go).
import { updateState } from './cluster-state.js';
import { ExitError, hostIP, hostName, out, readText } from './lab.js';
import { type Parsed, flag, flagAll } from './args.js';
import { decodeConfig, printWarnings } from './kubeadm-config.js';
import { binaryVersion, normalizeVersion } from './kube-versions.js';
import { createLeaf, leafSans, readPair } from './kubeadm-pki.js';
import { caCertHash, certInfo, signedBy } from './pki.js';
import { defaultClusterConfiguration, pkiContext, stackHint } from './kubeadm-common.js';
import { hostnameError } from './api-endpoint.js';

const fail = (msg: string): never => {
  throw new ExitError(`error: error execution phase certs/apiserver: ${msg}\n${stackHint}`);
};

function configFrom(p: Parsed) {
  const path = flag(p, 'config');
  const decoded = path
    ? decodeConfig(readText(path) ?? fail(`unable to read config from "${path}" : open ${path}: no such file or directory`))
    : undefined;
  if (decoded) printWarnings(decoded.warnings);
  const ic = decoded?.docs.get('InitConfiguration') ?? {};
  const ccIn = { ...(decoded?.docs.get('ClusterConfiguration') ?? {}) };
  if (flag(p, 'control-plane-endpoint')) ccIn.controlPlaneEndpoint = flag(p, 'control-plane-endpoint');
  const cc = defaultClusterConfiguration(ccIn, normalizeVersion(ccIn.kubernetesVersion ?? binaryVersion('kubeadm')));
  if (flag(p, 'cert-dir')) cc.certificatesDir = flag(p, 'cert-dir');
  if (flag(p, 'service-cidr')) cc.networking.serviceSubnet = flag(p, 'service-cidr');
  if (flag(p, 'service-dns-domain')) cc.networking.dnsDomain = flag(p, 'service-dns-domain');
  if (flagAll(p, 'apiserver-cert-extra-sans').length) cc.apiServer = { ...cc.apiServer, certSANs: flagAll(p, 'apiserver-cert-extra-sans') };
  const id = {
    name: ic.nodeRegistration?.name ?? hostName(),
    address: flag(p, 'apiserver-advertise-address') ?? ic.localAPIEndpoint?.advertiseAddress ?? hostIP(),
    bindPort: Number(ic.localAPIEndpoint?.bindPort ?? 6443),
  };
  return { cc, ctx: pkiContext(cc, id) };
}

export function certsApiserverPhase(p: Parsed): void {
  const { cc, ctx } = configFrom(p);
  const ca = readPair(cc.certificatesDir, 'ca');
  if (!ca) fail(`couldn't load CA certificate ca: open ${cc.certificatesDir}/ca.crt: no such file or directory`);
  const existing = readPair(cc.certificatesDir, 'apiserver');
  if (existing) {
    if (!signedBy(existing.cert, ca!.cert)) fail('certificate apiserver is not signed by corresponding CA');
    const want = leafSans(ctx, 'apiserver');
    const have = certInfo(existing.cert);
    for (const name of [...want.dnsNames, ...want.ips]) {
      const wrong = hostnameError(name, have);
      if (wrong) fail(`certificate apiserver is invalid: ${wrong}`);
    }
    return out('[certs] Using the existing "apiserver" certificate and key');
  }
  const info = certInfo(createLeaf(ctx, 'apiserver'));
  out('[certs] Generating "apiserver" certificate and key');
  out(`[certs] apiserver serving cert is signed for DNS names [${info.dnsNames.join(' ')}] and IPs [${info.ips.join(' ')}]`);
  // the API server reloads its serving certificate from disk (dynamic serving certificates): clients see it now
  updateState((s) => {
    const m = s.clusters[caCertHash(ca!.cert)]?.controlPlane[ctx.nodeName];
    if (m) Object.assign(m, { apiserverNotAfter: info.notAfter, apiserverSans: { dnsNames: info.dnsNames, ips: info.ips } });
  });
}

// kubeadm configuration files: multi-document YAML, known kinds per API version, kubeadm's decoding
// behaviour (type errors are fatal, unknown fields are strict-decoding warnings for init/join and
// errors for `config validate`), defaults.
import YAML from './yaml-lazy.js';
import { ExitError } from './lab.js';

type Spec = 's' | 'l' | 'm' | 'any' | 'args' | { [field: string]: Spec } | [Spec];

const str = 's' as const;
const arg = { name: str, value: str };
const env = { name: str, value: str, valueFrom: 'any' as const };
const vol = { name: str, hostPath: str, mountPath: str, readOnly: str, pathType: str };
const endpoint = { advertiseAddress: str, bindPort: str };
const timeouts = {
  controlPlaneComponentHealthCheck: str,
  discovery: str,
  etcdAPICall: str,
  kubeletHealthCheck: str,
  kubernetesAPICall: str,
  tlsBootstrap: str,
  upgradeManifests: str,
};

function nodeRegistration(v4: boolean): Spec {
  return {
    name: str,
    criSocket: str,
    taints: [{ key: str, value: str, effect: str, timeAdded: str }],
    kubeletExtraArgs: v4 ? 'args' : 'm',
    ignorePreflightErrors: 'l',
    imagePullPolicy: str,
    ...(v4 ? { imagePullSerial: str } : {}),
  };
}

function component(v4: boolean, extra: Record<string, Spec> = {}): Spec {
  return { extraArgs: v4 ? 'args' : 'm', extraVolumes: [vol], ...(v4 ? { extraEnvs: [env] } : {}), ...extra };
}

function kinds(v4: boolean): Record<string, Spec> {
  const bootstrapToken = { token: str, description: str, ttl: str, expires: str, usages: 'l' as const, groups: 'l' as const };
  const common = { apiVersion: str, kind: str };
  const v4only: Record<string, Spec> = v4 ? { dryRun: str, timeouts } : {};
  const all: Record<string, unknown> = {
    InitConfiguration: {
      ...common,
      bootstrapTokens: [bootstrapToken],
      nodeRegistration: nodeRegistration(v4),
      localAPIEndpoint: endpoint,
      certificateKey: str,
      skipPhases: 'l',
      patches: { directory: str },
      ...v4only,
    },
    ClusterConfiguration: {
      ...common,
      etcd: {
        local: {
          imageRepository: str,
          imageTag: str,
          dataDir: str,
          extraArgs: v4 ? 'args' : 'm',
          ...(v4 ? { extraEnvs: [env] } : {}),
          serverCertSANs: 'l',
          peerCertSANs: 'l',
        },
        external: { endpoints: 'l', caFile: str, certFile: str, keyFile: str },
      },
      networking: { serviceSubnet: str, podSubnet: str, dnsDomain: str },
      kubernetesVersion: str,
      controlPlaneEndpoint: str,
      apiServer: component(v4, { certSANs: 'l', ...(v4 ? {} : { timeoutForControlPlane: str }) }),
      controllerManager: component(v4),
      scheduler: component(v4),
      dns: { imageRepository: str, imageTag: str, ...(v4 ? { disabled: str } : {}) },
      ...(v4
        ? { proxy: { disabled: str }, encryptionAlgorithm: str, certificateValidityPeriod: str, caCertificateValidityPeriod: str }
        : {}),
      certificatesDir: str,
      imageRepository: str,
      featureGates: 'm',
      clusterName: str,
    },
    JoinConfiguration: {
      ...common,
      nodeRegistration: nodeRegistration(v4),
      caCertPath: str,
      discovery: {
        bootstrapToken: { token: str, apiServerEndpoint: str, caCertHashes: 'l', unsafeSkipCAVerification: str },
        file: { kubeConfigPath: str },
        tlsBootstrapToken: str,
        ...(v4 ? {} : { timeout: str }),
      },
      controlPlane: { localAPIEndpoint: endpoint, certificateKey: str },
      skipPhases: 'l',
      patches: { directory: str },
      ...v4only,
    },
    ...(v4
      ? {
          ResetConfiguration: {
            ...common,
            certificatesDir: str,
            cleanupTmpDir: str,
            criSocket: str,
            dryRun: str,
            force: str,
            ignorePreflightErrors: 'l',
            skipPhases: 'l',
            unmountFlags: 'l',
          },
          UpgradeConfiguration: { ...common, apply: 'any', node: 'any', plan: 'any', diff: 'any', timeouts },
        }
      : {}),
  };
  return all as Record<string, Spec>;
}

const COMPONENT_CONFIGS: Record<string, string> = {
  KubeletConfiguration: 'kubelet.config.k8s.io/v1beta1',
  KubeProxyConfiguration: 'kubeproxy.config.k8s.io/v1alpha1',
};

export interface Decoded {
  docs: Map<string, Record<string, any>>; // kind → document
  version: 'v1beta3' | 'v1beta4' | undefined;
  warnings: string[]; // strict-decoding findings (unknown fields)
}

const gvk = (apiVersion: string, kind: string) => {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return `schema.GroupVersionKind{Group:"${group}", Version:"${version}", Kind:"${kind}"}`;
};

function goStructName(path: string[]): string {
  const last = path.at(-2) ?? '';
  if (last === 'nodeRegistration') return 'NodeRegistrationOptions';
  if (last === 'apiServer') return 'APIServer';
  if (last === 'local') return 'LocalEtcd';
  return 'ControlPlaneComponent';
}

function walk(value: unknown, spec: Spec, path: string[], ctx: { version: string; head: string; unknown: string[] }): void {
  if (value === null || value === undefined || spec === 'any' || spec === 's') return;
  const at = path.join('.');
  const jsType = Array.isArray(value) ? 'array' : typeof value === 'object' ? 'object' : typeof value === 'string' ? 'string' : 'number';
  if (spec === 'args') {
    if (!Array.isArray(value)) {
      throw new ExitError(
        `${ctx.head}: json: cannot unmarshal ${jsType} into Go struct field ${goStructName(path)}.${at} of type []${ctx.version}.Arg`,
      );
    }
    value.forEach((v, i) => walk(v, arg, [...path.slice(0, -1), `${path.at(-1)}[${i}]`], ctx));
    return;
  }
  if (spec === 'm') {
    if (jsType !== 'object')
      throw new ExitError(
        `${ctx.head}: json: cannot unmarshal ${jsType} into Go struct field ${goStructName(path)}.${at} of type map[string]string`,
      );
    return;
  }
  if (spec === 'l') {
    if (jsType !== 'array')
      throw new ExitError(`${ctx.head}: json: cannot unmarshal ${jsType} into Go struct field .${at} of type []string`);
    return;
  }
  if (Array.isArray(spec)) {
    if (!Array.isArray(value)) throw new ExitError(`${ctx.head}: json: cannot unmarshal ${jsType} into Go struct field .${at} of type []`);
    value.forEach((v, i) => walk(v, spec[0], [...path.slice(0, -1), `${path.at(-1) ?? ''}[${i}]`], ctx));
    return;
  }
  if (jsType !== 'object') throw new ExitError(`${ctx.head}: json: cannot unmarshal ${jsType} into Go struct field .${at} of type struct`);
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const sub = spec[k];
    if (!sub) ctx.unknown.push([...path, k].join('.'));
    else walk(v, sub, [...path, k], ctx);
  }
}

/** Parse a kubeadm --config file. Fatal problems throw ExitError with kubeadm's wording. */
export function decodeConfig(text: string): Decoded {
  const docs = new Map<string, Record<string, any>>();
  const warnings: string[] = [];
  let version: Decoded['version'];
  for (const d of YAML.parseAllDocuments(text)) {
    if (d.errors.length) throw new ExitError(`error converting YAML to JSON: yaml: ${d.errors[0]!.message}`);
    const doc = d.toJS() as Record<string, any> | null;
    if (!doc) continue;
    const apiVersion = String(doc.apiVersion ?? '');
    const kind = String(doc.kind ?? '');
    if (!apiVersion || !kind) throw new ExitError(`Object 'Kind' is missing in '${YAML.stringify(doc).trim()}'`);
    if (apiVersion.startsWith('kubeadm.k8s.io/')) {
      const v = apiVersion.split('/')[1]!;
      if (v === 'v1beta1' || v === 'v1beta2') {
        throw new ExitError(
          `your configuration file uses an old API spec: "${apiVersion}" (kind: "${kind}"). Please use kubeadm ${v === 'v1beta1' ? 'v1.21' : 'v1.26'} instead and run 'kubeadm config migrate --old-config old-config-file --new-config new-config-file', which will write the new, similar spec using a newer API version.`,
        );
      }
      if (v !== 'v1beta3' && v !== 'v1beta4') {
        throw new ExitError(
          `unable to decode config from bytes: no kind "${kind}" is registered for version "${apiVersion}" in scheme "cmd/kubeadm/app/apis/kubeadm/scheme/scheme.go:31"`,
        );
      }
      const spec = kinds(v === 'v1beta4')[kind];
      if (!spec)
        throw new ExitError(
          `no kind "${kind}" is registered for version "${apiVersion}" in scheme "cmd/kubeadm/app/apis/kubeadm/scheme/scheme.go:31"`,
        );
      if (version && version !== v) throw new ExitError(`mixing kubeadm API versions ${version} and ${v} in one config is not supported`);
      version = v;
      const ctx = { version: v, head: `error unmarshaling configuration ${gvk(apiVersion, kind)}`, unknown: [] as string[] };
      walk(doc, spec, [], ctx);
      for (const u of ctx.unknown) warnings.push(`${ctx.head}: strict decoding error: unknown field "${u}"`);
    } else if (COMPONENT_CONFIGS[kind] === apiVersion) {
      // component configs are passed through to the kubelet / kube-proxy untouched
    } else {
      warnings.push(`[config] WARNING: Ignored configuration document with GroupVersionKind ${apiVersion.replace('/', '/')}, Kind=${kind}`);
      continue;
    }
    if (docs.has(kind)) throw new ExitError(`invalid configuration: kind "${kind}" is specified twice in YAML file`);
    docs.set(kind, doc);
  }
  return { docs, version, warnings };
}

/** Print strict-decoding findings the way klog does (W-prefixed lines on stderr). */
export function printWarnings(warnings: string[], file = 'initconfiguration.go:332'): void {
  for (const w of warnings) process.stderr.write(w.startsWith('[config]') ? `${w}\n` : klogWarning(file, w));
}

/** A klog warning line: `W1127 04:20:00.123000   4242 file.go:12] message`. */
export function klogWarning(file: string, message: string): string {
  const d = new Date();
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `W${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}000`;
  return `${stamp} ${String(process.pid).padStart(7)} ${file}] ${message}\n`;
}

/** v1beta4 list-of-{name,value} or v1beta3 map → flat map (later duplicates win). */
export function argsMap(v: unknown): Record<string, string> {
  if (Array.isArray(v)) return Object.fromEntries(v.map((a: { name: string; value: string }) => [a.name, String(a.value ?? '')]));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
  return {};
}

/** Flags kubeadm lets --config be mixed with (kubeadm: cmd/kubeadm/app/apis/kubeadm/validation isAllowedFlag). */
const ALLOWED_WITH_CONFIG = new Set([
  'config',
  'ignore-preflight-errors',
  'dry-run',
  'kubeconfig',
  'node-name',
  'kubeconfig-dir',
  'upload-certs',
  'print-join-command',
  'rootfs',
  'v',
  'log-file',
]);

/** kubeadm's ValidateMixedArguments: with --config, only the allowed flags (and --skip-*) may be given. */
export function validateMixedArguments(flags: Map<string, string[]>): void {
  if (!flags.has('config')) return;
  const mixed = [...flags.keys()].filter((f) => !ALLOWED_WITH_CONFIG.has(f) && !f.startsWith('skip-'));
  if (mixed.length)
    throw new ExitError(
      `error: can not mix '--config' with arguments [${mixed.join(' ')}]\nTo see the stack trace of this error execute with --v=5 or higher`,
    );
}

/** The InitConfiguration of a --config file (token create, init phase upload-certs), or undefined without --config. */
export function initConfigurationFromFile(
  path: string | undefined,
  readText: (p: string) => string | undefined,
): Record<string, any> | undefined {
  if (path === undefined) return undefined;
  const text = readText(path);
  if (text === undefined) throw new ExitError(`unable to read config from "${path}" : open ${path}: no such file or directory`);
  const decoded = decodeConfig(text);
  printWarnings(decoded.warnings);
  return decoded.docs.get('InitConfiguration') ?? {};
}

/** Reading kubeadm's etcd static pod manifest: the flags that a restore must match (--name, peer URL, data dir). */
import YAML from 'yaml';

export type EtcdFlags = Record<string, string>;

/** The `--key=value` flags of the etcd container's command. */
export function etcdManifestFlags(manifest: string): EtcdFlags {
  const pod = YAML.parse(manifest) as { spec?: { containers?: { name?: string; command?: string[]; image?: string }[] } };
  const c = pod?.spec?.containers?.find((x) => x.name === 'etcd') ?? pod?.spec?.containers?.[0];
  const flags: EtcdFlags = {};
  for (const arg of c?.command ?? []) {
    const m = /^--([^=]+)=(.*)$/.exec(arg);
    if (m) flags[m[1]!] = m[2]!;
  }
  return flags;
}

/** The etcd container's image in the static pod manifest (what the kubelet runs), or undefined. */
export function etcdManifestImage(manifest: string): string | undefined {
  try {
    const pod = YAML.parse(manifest) as { spec?: { containers?: { name?: string; image?: string }[] } };
    const c = pod?.spec?.containers?.find((x) => x.name === 'etcd') ?? pod?.spec?.containers?.[0];
    return c?.image || undefined;
  } catch {
    return undefined;
  }
}

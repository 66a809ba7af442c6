/**
 * The container runtime's configuration as operators leave it: containerd's config.toml (the settings kubesmith
 * owns), certs.d hosts.toml mirrors, the legacy CRI `registry.mirrors` tables, and Docker's daemon.json. Line-based
 * reading of the few keys we carry over; everything else stays in the file and is named as not carried over.
 */

export interface ContainerdSettings {
  systemdCgroup?: boolean;
  sandboxImage?: string;
  configPath?: string;
  /** Legacy `[plugins."io.containerd.grpc.v1.cri".registry.mirrors."HOST"] endpoint = [...]` (removed in containerd 2.0). */
  legacyMirrors: Record<string, string[]>;
}

const unquote = (s: string) => s.trim().replace(/^["']|["']$/g, '');

export function parseContainerdConfig(text: string): ContainerdSettings {
  const out: ContainerdSettings = { legacyMirrors: {} };
  let mirrorHost: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (!line || line.startsWith('#')) continue;
    const table = /^\[(.+)\]$/.exec(line);
    if (table) {
      mirrorHost = /registry\.mirrors\.["']([^"']+)["']$/.exec(table[1]!)?.[1];
      continue;
    }
    const kv = /^([A-Za-z_]+)\s*=\s*(.+)$/.exec(line);
    if (!kv) continue;
    const [, key, value] = kv as unknown as [string, string, string];
    if (key === 'SystemdCgroup') out.systemdCgroup = value.trim() === 'true';
    else if (key === 'sandbox_image' || key === 'sandbox') out.sandboxImage = unquote(value);
    else if (key === 'config_path' && unquote(value)) out.configPath ??= unquote(value);
    else if (key === 'endpoint' && mirrorHost) out.legacyMirrors[mirrorHost] = [...value.matchAll(/["']([^"']+)["']/g)].map((m) => m[1]!);
  }
  return out;
}

export interface RegistryHosts {
  server?: string;
  mirrors: { url: string; skipVerify: boolean }[];
}

/** A certs.d hosts.toml: `server = "…"`, then one `[host."URL"]` table per mirror, tried in order. */
export function parseHostsToml(text: string): RegistryHosts {
  const out: RegistryHosts = { mirrors: [] };
  let current: RegistryHosts['mirrors'][number] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (!line || line.startsWith('#')) continue;
    const host = /^\[host\.["']([^"']+)["']\]$/.exec(line);
    if (host) {
      current = { url: host[1]!, skipVerify: false };
      out.mirrors.push(current);
      continue;
    }
    if (/^\[/.test(line)) {
      current = undefined;
      continue;
    }
    const kv = /^([A-Za-z_]+)\s*=\s*(.+)$/.exec(line);
    if (!kv) continue;
    if (kv[1] === 'server' && !current) out.server = unquote(kv[2]!);
    if (kv[1] === 'skip_verify' && current) current.skipVerify = kv[2]!.trim() === 'true';
  }
  return out;
}

export interface DockerSettings {
  cgroupDriver?: string;
  registryMirrors: string[];
  insecureRegistries: string[];
}

export function parseDockerDaemon(text: string): DockerSettings {
  const d = JSON.parse(text) as { 'exec-opts'?: string[]; 'registry-mirrors'?: string[]; 'insecure-registries'?: string[] };
  const driver = (d['exec-opts'] ?? []).find((o) => o.startsWith('native.cgroupdriver='));
  return {
    ...(driver ? { cgroupDriver: driver.split('=')[1] } : {}),
    registryMirrors: d['registry-mirrors'] ?? [],
    insecureRegistries: d['insecure-registries'] ?? [],
  };
}

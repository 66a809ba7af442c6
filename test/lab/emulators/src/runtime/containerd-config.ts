// What containerd does with /etc/containerd/config.toml at start: parse (a TOML error stops it), check the
// version header against the installed release, and derive the settings the lab asserts on.
import { parseToml, tomlGet, type TomlTable, type TomlValue } from './toml.js';
import { defaultConfigV2, defaultConfigV3 } from './containerd-defaults.js';
import type { ContainerdRelease } from './versions.js';

export const CONFIG_FILE = '/etc/containerd/config.toml';

/** The pause image each release uses when the config does not set one. */
export function defaultSandboxImage(release: ContainerdRelease): string {
  if (release.major < 2) return release.minor >= 7 ? 'registry.k8s.io/pause:3.8' : 'registry.k8s.io/pause:3.6';
  return release.minor >= 2 ? 'registry.k8s.io/pause:3.10.1' : 'registry.k8s.io/pause:3.10';
}

export function defaultConfigText(release: ContainerdRelease): string {
  const sandbox = defaultSandboxImage(release);
  return release.major < 2 ? defaultConfigV2(sandbox) : defaultConfigV3(sandbox);
}

export interface EffectiveContainerdConfig {
  configVersion: number;
  systemdCgroup: boolean;
  sandboxImage: string;
  /** registry hosts dir (certs.d), '' when unset */
  configPath: string;
  snapshotter: string;
  root: string;
  state: string;
  address: string;
  /** true when the CRI plugin is disabled (disabled_plugins contains "cri"): kubelet/crictl cannot talk to it */
  criDisabled: boolean;
  /** why the CRI plugin failed to load while containerd itself runs (e.g. mirrors combined with config_path) */
  criError?: string;
  /** deprecation warnings containerd would log */
  warnings: string[];
}

export class ContainerdConfigError extends Error {}

const str = (v: TomlValue | undefined, fallback: string): string => (typeof v === 'string' ? v : fallback);

/** Validates like containerd's loader; throws ContainerdConfigError with containerd's wording. */
export function effectiveConfig(text: string | undefined, release: ContainerdRelease, file = CONFIG_FILE): EffectiveContainerdConfig {
  let doc: TomlTable = {};
  if (text !== undefined) {
    try {
      doc = parseToml(text);
    } catch (error) {
      throw new ContainerdConfigError(`failed to load TOML: ${file}: ${(error as Error).message}`);
    }
  }
  const declared = doc.version;
  if (declared !== undefined && typeof declared !== 'number')
    throw new ContainerdConfigError(`failed to load TOML: ${file}: version must be an integer`);
  const declaredVersion = text === undefined ? (release.major < 2 ? 2 : 3) : (declared ?? 1);
  if (declaredVersion === 1 && release.major >= 2) {
    throw new ContainerdConfigError(
      `failed to load TOML: ${file}: config version \`1\` is no longer supported; please migrate the config to the latest version`,
    );
  }
  const maxVersion = release.major < 2 ? Infinity : release.minor >= 3 ? 4 : 3;
  if (declaredVersion > maxVersion) {
    throw new ContainerdConfigError(`failed to load TOML: ${file}: unsupported config version \`${declaredVersion}\``);
  }
  const warnings: string[] = [];
  // containerd 1.x knows nothing newer than version 2: it starts, reads the v2 plugin keys and ignores the rest
  // (checked against Debian's 1.6.20), so a v3 file silently leaves SystemdCgroup and the sandbox at their defaults.
  const version = release.major < 2 && declaredVersion > 2 ? 2 : declaredVersion;
  if (version !== declaredVersion)
    warnings.push(
      `config version ${declaredVersion} is not known to containerd ${release.version}: read as version 2, v3 plugin sections ignored`,
    );
  if (version === 1)
    warnings.push(
      'containerd config version `1` has been deprecated and will be converted on each startup in containerd v2.0, use `containerd config migrate` after upgrading to containerd 2.0 to avoid conversion on startup',
    );
  const plugins = tomlGet(doc, 'plugins') as TomlTable | undefined;
  const v2 = version <= 2;
  const cri = v2 ? (tomlGet(plugins, version === 1 ? 'cri' : 'io.containerd.grpc.v1.cri') as TomlTable | undefined) : undefined;
  const runtimeTable = v2
    ? (tomlGet(cri, 'containerd') as TomlTable | undefined)
    : (tomlGet(plugins, 'io.containerd.cri.v1.runtime', 'containerd') as TomlTable | undefined);
  const images = v2 ? cri : (tomlGet(plugins, 'io.containerd.cri.v1.images') as TomlTable | undefined);
  const runtimeName = str(tomlGet(runtimeTable, 'default_runtime_name'), 'runc');
  const systemd = tomlGet(runtimeTable, 'runtimes', runtimeName, 'options', 'SystemdCgroup');
  const sandbox = v2 ? tomlGet(cri, 'sandbox_image') : tomlGet(images, 'pinned_images', 'sandbox');
  const registry = tomlGet(images, 'registry') as TomlTable | undefined;
  const configPath = str(tomlGet(registry, 'config_path'), '');
  const snapshotter = str(v2 ? tomlGet(runtimeTable, 'snapshotter') : tomlGet(images, 'snapshotter'), 'overlayfs');
  const disabled = (Array.isArray(doc.disabled_plugins) ? doc.disabled_plugins : []).map(String);
  const criDisabled = disabled.some((p) => p === 'cri' || p === 'io.containerd.grpc.v1.cri');
  let criError: string | undefined;
  // empty [..registry.mirrors] tables (as in the default config) are fine; entries are what counts
  const nonEmpty = (k: string): boolean => Object.keys((tomlGet(registry, k) as TomlTable | undefined) ?? {}).length > 0;
  const legacyRegistry = ['mirrors', 'configs', 'auths'].filter(nonEmpty);
  if (legacyRegistry.length > 0) {
    if (configPath && nonEmpty('mirrors')) criError = '`mirrors` cannot be set when `config_path` is provided';
    else if (!configPath)
      warnings.push(
        `The "${legacyRegistry.join('", "')}" properties of [plugins."io.containerd.grpc.v1.cri".registry] are deprecated; use config_path instead`,
      );
  }
  const effective: EffectiveContainerdConfig = {
    configVersion: version,
    systemdCgroup: systemd === true,
    sandboxImage: str(sandbox, defaultSandboxImage(release)),
    configPath,
    snapshotter,
    root: str(doc.root, '/var/lib/containerd'),
    state: str(doc.state, '/run/containerd'),
    address: str(tomlGet(doc, 'grpc', 'address'), '/run/containerd/containerd.sock'),
    criDisabled,
    warnings,
  };
  if (criError) effective.criError = criError;
  return effective;
}

// Emulated `containerd` binary: --version, config default, config dump. The daemon itself only runs as
// containerd.service (the unit hook), never from a shell.
import { Exit, type Io } from './cli-util.js';
import { readText } from './lab-paths.js';
import { containerdInstall, containerdVersionLine } from './versions.js';
// `containerd --version` runs on every fact gathering: the config parser and the default configs load only for `config`
import type * as ContainerdConfig from './containerd-config.js';

/** `config dump`: the defaults of this release with the file's effective settings applied. */
function dump({ defaultConfigText, effectiveConfig }: typeof ContainerdConfig, file: string): string {
  const install = containerdInstall();
  const text = readText(file);
  const effective = effectiveConfig(text, install.release, file);
  let out = defaultConfigText(install.release)
    .replace(/SystemdCgroup = false/, `SystemdCgroup = ${effective.systemdCgroup}`)
    .replace(/(sandbox_image = |sandbox = )(["'])[^"']*\2/, `$1$2${effective.sandboxImage}$2`)
    .replace(
      /(\[plugins\.(?:"io\.containerd\.grpc\.v1\.cri"|'io\.containerd\.cri\.v1\.images')\.registry\]\n\s*config_path = )(["'])[^"']*\2/,
      `$1$2${effective.configPath}$2`,
    );
  if (install.release.major < 2) out = out.replace(/^version = \d+/m, 'version = 2');
  return out;
}

export async function containerdCli(argv: string[], io: Io): Promise<number> {
  // the global --config/-c FILE may come before or after the command
  const i = argv.findIndex((a) => a === '--config' || a === '-c');
  const [command, sub] = i === -1 ? argv : [...argv.slice(0, i), ...argv.slice(i + 2)];
  if (command === '--version' || command === '-v' || command === 'version') {
    io.out(`${containerdVersionLine()}\n`);
    return 0;
  }
  if (command === 'config') {
    const config = await import('./containerd-config.js');
    const { defaultConfigText, ContainerdConfigError, CONFIG_FILE } = config;
    const file = i !== -1 ? (argv[i + 1] ?? CONFIG_FILE) : CONFIG_FILE;
    const install = containerdInstall();
    if (sub === 'default') {
      io.out(defaultConfigText(install.release));
      return 0;
    }
    if (sub === 'dump') {
      try {
        io.out(dump(config, file));
        return 0;
      } catch (error) {
        if (error instanceof ContainerdConfigError) throw new Exit(1, `containerd: ${error.message}`);
        throw error;
      }
    }
    if (sub === 'migrate' && install.release.major >= 2) {
      io.out(dump(config, file));
      return 0;
    }
    throw new Exit(1, `No help topic for '${sub ?? ''}'`);
  }
  throw new Exit(1, 'lab: containerd runs only as containerd.service here (systemctl start containerd)');
}

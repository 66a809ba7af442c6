/** Running the real CLI (SSH transport) against lab hosts, and reading what it left there. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { dearmor } from '../../src/tasks/common/openpgp.js';
import { quote } from '../../src/transport/command.js';
import type { Output } from '../../src/ui/output.js';
import { labDown, labUp, type Lab } from '../lab/lab.js';
import { repoRoot } from '../lab/paths.js';
import { bridgeIp, startLabRegistry, type LabRegistry } from './registry.js';

export const isRoot = () => process.getuid?.() === 0;

/** The lab can run playbooks only once the system emulators (systemctl, swapon, sysctl …) are installed on hosts. */
export function labReady(): boolean {
  if (!isRoot()) return false;
  try {
    const manifest = JSON.parse(readFileSync(join(repoRoot(), 'test', 'lab', 'emulators', 'manifest.json'), 'utf8')) as {
      system: string[];
      packages: Record<string, unknown>;
    };
    return (
      ['systemctl', 'swapon', 'sysctl', 'modprobe'].every((n) => manifest.system.includes(n)) &&
      'containerd.io' in manifest.packages &&
      'kubeadm' in manifest.packages
    );
  } catch {
    return false;
  }
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function kubesmith(argv: string[], cwd = process.cwd()): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const out: Output = {
    stdout: { write: (s: string) => void (stdout += s) },
    stderr: { write: (s: string) => void (stderr += s) },
    isTTY: false,
    color: false,
  };
  const code = await main(argv, { out, env: { ...process.env, NO_COLOR: '1' }, cwd, signal: new AbortController().signal });
  process.exitCode = undefined;
  return { code, stdout, stderr };
}

/** JSON-lines events of a run made with --output json. */
export function events(run: CliRun): Array<Record<string, unknown>> {
  return run.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Sum of `changed` over the recap of a --output json run. */
export function changedCount(run: CliRun): number {
  const end = events(run).find((e) => e.type === 'run.end') as { recap: { hosts: { changed: number }[] } } | undefined;
  if (!end) throw new Error(`no run.end event in output:\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`);
  return end.recap.hosts.reduce((n, h) => n + h.changed, 0);
}

/** Journal entries that change state (anything but reads), to prove a plan wrote nothing. */
export function writesIn(lines: readonly string[]): string[] {
  const READ =
    /^\d+ (date \+%s|systemctl (is-enabled|is-active|list-unit-files|show|status)|swapon --show|lsmod|sysctl -n|getenforce|sestatus|hostname$|dpkg-query|dpkg -l|rpm -q|apt-mark showhold|apt-cache|kubectl (version|.*\bget\b)|kubectl version|kubeadm (version|config images list)|containerd --version|ufw status|firewall-cmd --(list|state)|crictl( --runtime-endpoint \S+)? (images|ps|info|inspecti)|crictl( --runtime-endpoint \S+)? exec [0-9a-f]+ etcdctl .* (endpoint (health|status)|member list|get \S+ --prefix --keys-only)|ctr -n k8s\.io run --rm .* kubesmith-etcd-[0-9a-f]+ (etcdctl version|etcdutl version|etcdutl snapshot restore --help)$|ctr .*(ls|list)|timedatectl( status)?$|kubelet --version|lab-node-sync|kubectl --kubeconfig \S+ version$|kubectl --kubeconfig \S+ drain .* --dry-run=server|curl -fsSL \S+$|df -Pk )/;
  return lines.filter((l) => !READ.test(l));
}

export function fileOn(lab: Lab, host: string, path: string): string | null {
  return lab.readFile(host, path);
}

/** task.host events of a --output json run: which task changed or failed on which host. */
export function hostOutcomes(run: CliRun): Array<{ task: string; host: string; outcome: string; error?: string }> {
  return events(run).filter((e) => e.type === 'task.host') as Array<{ task: string; host: string; outcome: string; error?: string }>;
}

/** Every file of the run log directory, concatenated, to search for leaked secrets. */
export function logText(dir: string): string {
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((f) => {
      const p = join(d, f);
      return statSync(p).isDirectory() ? walk(p) : [readFileSync(p, 'utf8')];
    });
  return walk(dir).join('\n');
}

/**
 * Put the two apt signing keys where kubesmith puts them (the lab's repository key, a real OpenPGP key: dearmored for
 * pkgs.k8s.io, armored for Docker), so tests that are not about key downloads skip the fetch. kubesmith judges a
 * keyring by its content: a file that is not a valid key would be fetched again.
 */
// from the repository, not this file's folder: the benchmarks load this module from dist/
const LAB_REPO_KEY = readFileSync(join(repoRoot(), 'test', 'lab', 'emulators', 'keys', 'lab-repo-key.asc'));

export async function seedAptKeys(lab: Lab): Promise<void> {
  await Promise.all(
    lab.hosts
      .filter((h) => h.os !== 'rocky9')
      .map((h) =>
        lab.exec(
          h.name,
          `mkdir -p -m 755 /etc/apt/keyrings && printf '%s' ${quote(LAB_REPO_KEY.toString())} > /etc/apt/keyrings/docker.asc && base64 -d > /etc/apt/keyrings/kubernetes-apt-keyring.gpg`,
          {
            input: dearmor(LAB_REPO_KEY.toString())!.toString('base64'),
          },
        ),
      ),
  );
}

/** A lab instance ready for kubesmith: apt keys seeded, a lab registry as the mirror for registry.k8s.io and ghcr.io. */
export interface LabCluster {
  lab: Lab;
  registry: LabRegistry;
  /** Where writeInventory writes: <lab root>/inventory.yaml. */
  inventory: string;
  /** spec.containerRuntime pointing both registries at the lab registry, to merge into `extra`. */
  mirrors: { containerRuntime: { registryMirrors: Record<string, string[]> } };
  down(): Promise<void>;
}

export async function labCluster(
  name: string,
  hosts: Array<{ name: string; os?: 'debian12' | 'ubuntu2204' | 'ubuntu2404' | 'rocky9' }>,
): Promise<LabCluster> {
  const lab = await labUp({ name, hosts });
  await seedAptKeys(lab);
  const registry = await startLabRegistry(bridgeIp(lab.subnet));
  return {
    lab,
    registry,
    inventory: join(lab.root, 'inventory.yaml'),
    mirrors: { containerRuntime: { registryMirrors: { 'registry.k8s.io': [registry.url], 'ghcr.io': [registry.url] } } },
    async down() {
      await registry.close();
      await labDown(name);
    },
  };
}

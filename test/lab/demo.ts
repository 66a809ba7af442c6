/**
 * `npm run demo`: the main job, end to end, on this machine.
 *
 * Brings up a small lab (three simulated Debian 12 hosts with their own network namespaces and sshd), starts a
 * stand-in registry mirror on the lab bridge, writes an inventory for them, runs `kubesmith apply` with its live
 * progress, prints the nodes, and tears the lab down again — whatever happened.
 *
 * Needs root (namespaces, mounts, veths) and the lab's Debian packages (openssh-server, iproute2, sudo, openssl):
 * run `bash .ci/run` once, or `apt-get install -y openssh-server iproute2 sudo openssl`.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { labDown, labUp } from './lab.js';
import { bridgeIp, startLabRegistry } from '../e2e/registry.js';

const NAME = 'demo';
const REPO = resolve(import.meta.dirname, '..', '..', '..');

function say(line: string): void {
  process.stdout.write(`\n==> ${line}\n`);
}

function runCli(args: string[]): Promise<number> {
  return new Promise((done) => {
    const child = spawn(join(REPO, 'bin', 'kubesmith'), args, { stdio: 'inherit', cwd: REPO });
    child.on('exit', (code) => done(code ?? 1));
  });
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('demo: run as root — the lab needs network namespaces, mounts and veth links.\n');
    return 2;
  }
  for (const bin of ['/usr/sbin/sshd', '/usr/sbin/ip', '/usr/bin/sudo', '/usr/bin/openssl']) {
    if (!existsSync(bin)) {
      process.stderr.write(`demo: ${bin} is missing (test/lab/install-packages.sh installs it)\n`);
      return 2;
    }
  }
  const hosts = [{ name: 'cp1' }, { name: 'w1' }, { name: 'w2' }];
  say(`Bringing up a lab of ${hosts.length} simulated hosts (netns + overlay + sshd each)`);
  const t0 = Date.now();
  const lab = await labUp({ name: NAME, hosts });
  const registry = await startLabRegistry(bridgeIp(lab.subnet));
  try {
    for (const h of lab.hosts) process.stdout.write(`    ${h.name.padEnd(4)} ${h.ip.padEnd(14)} ${h.os}\n`);
    process.stdout.write(`    up in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    // The lab has no internet: the apt signing keys are placed where `curl | gpg --dearmor` would put them.
    await Promise.all(
      lab.hosts.map((h) =>
        lab.exec(
          h.name,
          'mkdir -p -m 755 /etc/apt/keyrings && echo lab-key > /etc/apt/keyrings/kubernetes-apt-keyring.gpg && echo lab-key > /etc/apt/keyrings/docker.asc',
        ),
      ),
    );
    const inventory = join(lab.root, 'inventory.yaml');
    lab.writeInventory(inventory, {
      controlPlanes: ['cp1'],
      workers: ['w1', 'w2'],
      extra: {
        kubernetes: { version: '1.34.1' },
        network: { plugin: 'flannel', flannel: { backend: 'vxlan' } },
        containerRuntime: { registryMirrors: { 'registry.k8s.io': [registry.url], 'ghcr.io': [registry.url] } },
      },
    });
    say(`kubesmith apply -i ${inventory}`);
    const code = await runCli(['apply', '-i', inventory, '--kubeconfig-out', join(lab.root, 'admin.conf')]);
    if (code !== 0) {
      process.stderr.write(`demo: kubesmith apply exited ${code}\n`);
      return code;
    }
    say('kubectl get nodes -o wide (run on cp1 over SSH by the operator, here through the lab)');
    const nodes = await lab.exec('cp1', 'kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o wide');
    process.stdout.write(nodes.stdout + nodes.stderr);
    say('Second apply: nothing left to change');
    return await runCli(['apply', '-i', inventory, '--kubeconfig-out', join(lab.root, 'admin.conf')]);
  } finally {
    await registry.close();
    say('Tearing the lab down');
    await labDown(NAME);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
    void labDown(NAME).finally(() => {
      process.exitCode = 1;
    });
  },
);

/**
 * The single executable (`npm run package`) on a machine without Node.js: the binary runs in a private mount
 * namespace where the node binary is hidden, and takes a small lab from bare hosts to Ready (validate → plan → apply).
 * The lab itself still needs Node (its emulators run inside the hosts' own namespaces, untouched by this one).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/engine/paths.js';
import type { Lab } from '../lab/lab.js';
import { labCluster, labReady, type LabCluster } from './helpers.js';

const NAME = 'e2e-sea';
const ROOT = packageRoot();
const EXE = join(ROOT, 'build', `kubesmith-linux-${process.arch === 'x64' ? 'amd64' : process.arch}`);
const NODE = process.execPath;

if (!labReady()) console.warn('skipping test/e2e/single-executable.test.ts: needs root and the lab emulators');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in a new mount namespace whose node binary is replaced by an empty file. */
function withoutNode(argv: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const script = 'mount --bind /dev/null "$NODE_BIN" && exec "$@"';
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', ...argv], {
      env: { ...env, NODE_BIN: NODE },
      cwd: env.HOME,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe.skipIf(!labReady())('single executable: no Node.js on the admin machine', () => {
  let c: LabCluster;
  let lab: Lab;
  let home: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const built = spawnSync(NODE, [join(ROOT, 'dist', 'scripts', 'package.js')], { cwd: ROOT, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`npm run package failed:\n${built.stdout}\n${built.stderr}`);
    home = mkdtempSync(join(tmpdir(), 'kubesmith-sea-'));
    env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, NO_COLOR: '1' };
    c = await labCluster(NAME, [{ name: 'cp1' }, { name: 'w1' }]);
    lab = c.lab;
    lab.writeInventory(c.inventory, { controlPlanes: ['cp1'], workers: ['w1'], extra: { ...c.mirrors } });
  }, 240_000);

  afterAll(async () => {
    await c?.down();
    if (home) rmSync(home, { recursive: true, force: true });
  }, 120_000);

  it('is one executable file, and node is really absent where it runs', async () => {
    expect(statSync(EXE).mode & 0o111).not.toBe(0);
    const node = await withoutNode([NODE, '--version'], env);
    expect(node.code).not.toBe(0);
    const version = await withoutNode([EXE, '--version'], env);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout).toMatch(/^kubesmith \d+\.\d+\.\d+\n$/);
    // The embedded files were unpacked under the user's cache, not next to the executable.
    expect(existsSync(join(home, '.cache', 'kubesmith'))).toBe(true);
  });

  it('validates, plans and provisions the lab to Ready', async () => {
    const validate = await withoutNode([EXE, 'validate', '-i', c.inventory], env);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toContain('valid');

    const plan = await withoutNode([EXE, 'plan', '-i', c.inventory], env);
    expect(plan.code, plan.stderr + plan.stdout.slice(-2000)).toBe(0);
    expect(plan.stdout).toContain('hostprep.sysctl');

    const apply = await withoutNode([EXE, 'apply', '-i', c.inventory], env);
    expect(apply.code, apply.stderr + apply.stdout.slice(-3000)).toBe(0);
    const nodes = await lab.exec('cp1', 'kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o json');
    const items = (
      JSON.parse(nodes.stdout) as { items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[] }
    ).items;
    expect(items.map((n) => n.metadata.name).sort()).toEqual(['cp1', 'w1']);
    for (const n of items) expect(n.status.conditions.find((x) => x.type === 'Ready')?.status, n.metadata.name).toBe('True');
  }, 900_000);

  it('a bad inventory is exit 2 with file:line, as from npm', async () => {
    const bad = join(home, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: kubesmith/v1\nkind: Cluster\nmetadata:\n  name: x\nspec:\n  hosts: 7\n');
    const run = await withoutNode([EXE, 'validate', '-i', bad], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/bad\.yaml:\d+:\d+/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

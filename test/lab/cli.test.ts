/** `npm run lab -- …` as a user runs it (the compiled CLI in dist/, built by `npm run build` / `npm ci`). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labDown, labGet } from './lab.js';
import { repoRoot } from './paths.js';
import { run } from './run.js';
import { isRoot, ROOT_SKIP_MESSAGE } from './helpers/ssh.js';

const cli = join(repoRoot(), 'dist/test/lab/cli.js');
const ready = isRoot() && existsSync(cli);
if (!ready) console.warn(`skipping test/lab/cli.test.ts: ${isRoot() ? `${cli} missing: run npm run build` : ROOT_SKIP_MESSAGE}`);

const lab = (...args: string[]) => run('node', [cli, ...args], { timeoutMs: 120_000 });

describe.skipIf(!ready)('lab CLI', () => {
  afterAll(async () => {
    await labDown('labtest-cli');
  });

  it('up prints bring-up time and memory per host, ssh prints a working command, down removes it', async () => {
    const up = await lab('up', '3', '--name', 'labtest-cli', '--os', 'ubuntu2204');
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/^lab (\S+-)?labtest-cli: 3 hosts up in \d+\.\d s \(subnet 10\.199\.\d+\.0\/24/m); // LAB_INSTANCE_PREFIX may lead
    expect(up.stdout).toMatch(/^memory per host: \d+\.\d MiB RSS \(sum over its processes\), \d+\.\d MiB PSS$/m);
    expect(up.stdout).toMatch(/^ {2}h3 +10\.199\.\d+\.13 +ubuntu2204$/m);

    const status = await lab('status');
    expect(status.stdout).toMatch(/^(\S+-)?labtest-cli: index \d+, subnet 10\.199\.\d+\.0\/24, 3\/3 hosts running/m);

    const ssh = await lab('ssh', 'h2', '--name', 'labtest-cli', '--user', 'kube');
    const argv = ssh.stdout.trim().split(' ');
    expect(argv[0]).toBe('ssh');
    const r = await run('ssh', [...argv.slice(1), 'hostname; sudo -n id -u']);
    expect(r.stdout).toBe('h2\n0\n');

    const clock = await lab('clock', '+400d', '--name', 'labtest-cli', '--host', 'h2');
    expect(clock.code, clock.stderr).toBe(0);
    expect(clock.stdout).toMatch(/^ {2}h2 +lab clock \+400\.00 days/m);
    const dates = await Promise.all(['h1', 'h2'].map((h) => run('ssh', [...labGet('labtest-cli').sshArgs(h, 'root'), 'date +%s'])));
    const now = Date.now() / 1000;
    expect(Math.abs(Number(dates[0]!.stdout) - now)).toBeLessThan(60);
    expect(Math.abs(Number(dates[1]!.stdout) - now - 400 * 86_400)).toBeLessThan(60);
    expect((await lab('clock', 'soon', '--name', 'labtest-cli')).stderr).toMatch(/usage: lab clock \+Nd/);

    const down = await lab('down', '--name', 'labtest-cli');
    expect(down.code, down.stderr).toBe(0);
    expect((await lab('status')).stdout).not.toMatch(/labtest-cli/);
  });

  it('rejects a bad command line with a usage message', async () => {
    const bad = await lab('up', '3', '--os', 'windows');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--os must be one of debian12, ubuntu2204, ubuntu2404, rocky9/);
    const rtt = await lab('up', '1', '--name', 'labtest-cli', '--rtt', 'fast');
    expect(rtt.code).toBe(1);
    expect(rtt.stderr).toMatch(/--rtt: expected a duration like 100ms/);
    const rate = await lab('up', '1', '--name', 'labtest-cli', '--rate', '100 furlongs');
    expect(rate.code).toBe(1);
    expect(rate.stderr).toMatch(/--rate: expected a rate like 100mbit/);
    const unknown = await lab('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toMatch(/^usage: npm run lab -- up N/);
  });
});

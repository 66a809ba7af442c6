import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BIN, Sandbox } from './sandbox.js';

let sb: Sandbox;
afterEach(() => sb?.dispose());

describe('lab-lib: journal and fault hook', () => {
  it('journals each call as <epoch-ms> <command> <printf %q args>', () => {
    sb = new Sandbox();
    const before = Date.now();
    sb.ok('lab-journal', 'swapoff', '-a', 'two words', "it's");
    sb.run('modprobe', ['br_netfilter']);
    const lines = sb.journal();
    expect(lines).toHaveLength(2);
    const [ms, ...rest] = lines[0]!.split(' ');
    expect(Number(ms)).toBeGreaterThanOrEqual(before - 5);
    expect(Number(ms)).toBeLessThanOrEqual(Date.now() + 5);
    expect(rest.join(' ')).toBe("swapoff -a two\\ words it\\'s");
    expect(lines[1]).toMatch(/^\d{13} modprobe br_netfilter$/);
  });

  it('fails the next N calls of a command, then lets it run', () => {
    sb = new Sandbox();
    sb.write('/var/lib/lab/faults/systemctl', '2 fail\n');
    for (let i = 0; i < 2; i++) {
      const r = sb.run('systemctl', ['daemon-reload']);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('lab: injected failure\n');
    }
    expect(sb.read('/var/lib/lab/faults/systemctl')).toBe('0 fail\n');
    expect(sb.run('systemctl', ['daemon-reload']).code).toBe(0);
    // other commands are not affected
    expect(sb.run('sysctl', ['-n', 'vm.swappiness']).code).toBe(0);
  });

  it('hangs a call when the mode is hang', () => {
    sb = new Sandbox();
    sb.write('/var/lib/lab/faults/swapon', '1 hang\n');
    const r = spawnSync(join(BIN, 'swapon'), ['--show'], { env: sb.env, timeout: 700 });
    expect(r.signal).toBe('SIGTERM');
    expect(sb.run('swapon', ['--show']).code).toBe(0);
  });

  it('refuses to act on the machine when neither LAB_FS_ROOT nor a lab host is there', () => {
    sb = new Sandbox();
    const env = { ...sb.env };
    delete (env as Record<string, string | undefined>).LAB_FS_ROOT;
    for (const cmd of ['swapoff', 'systemctl', 'sysctl', 'lab-host-init', 'lab-boot', 'apt-get']) {
      const r = spawnSync(join(BIN, cmd), ['-a'], { env, encoding: 'utf8' });
      expect(r.status, cmd).toBe(2);
      expect(r.stderr).toMatch(/refusing/);
    }
  });
});

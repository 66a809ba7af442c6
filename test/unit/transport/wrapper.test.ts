import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Semaphore } from '../../../src/transport/semaphore.js';
import { mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEEPER_READY, elevate, keeperCommand, killTreeScript, wrapCommand } from '../../../src/transport/wrapper.js';

/** Alive and not a zombie waiting to be reaped by init. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('wrapCommand', () => {
  it('prints the shell PID first on stderr, then runs the text under sh -c', () => {
    const w = wrapCommand(`printf '%s' "a'b"; echo $$ >&2`, { kind: 'none' });
    const out = execFileSync('/bin/sh', ['-c', `{ ${w.text}; } 2>&1`], { encoding: 'utf8' });
    const [marker, rest] = out.split('\n');
    expect(marker).toMatch(/^@@KS:\d+$/);
    expect(rest).toMatch(/^a'b\d+$/);
    // the exec'd sh keeps the PID that was announced
    expect(rest!.replace("a'b", '')).toBe(marker!.slice(5));
  });

  it('sudo with a password: read from stdin (preamble), never on the command line', () => {
    const w = elevate('id -u', { kind: 'sudo-password', password: 'pa$$ word' });
    expect(w.text).toBe("sudo -k -S -p '' -- sh -c 'id -u'");
    expect(w.text).not.toContain('pa$$');
    expect(w.preamble).toBe('pa$$ word\n');
    expect(elevate('id -u', { kind: 'sudo' }).text).toBe("sudo -n -- sh -c 'id -u'");
  });

  it('killTreeScript kills a process and its children', async () => {
    const child = spawn('/bin/sh', ['-c', 'sleep 300 & sleep 300 & wait'], { detached: true, stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 200));
    const pid = child.pid!;
    const kids = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .trim()
      .split('\n');
    expect(kids).toHaveLength(2);
    const exited = new Promise((r) => child.on('exit', r));
    execFileSync('/bin/sh', ['-c', killTreeScript(pid)]);
    await exited;
    await new Promise((r) => setTimeout(r, 100));
    for (const k of kids) expect(running(Number(k))).toBe(false);
    expect(() => killTreeScript(1)).toThrow('refusing');
  });
});

describe('keeperCommand (issue 13 item 9: commands die with their connection)', () => {
  const base = mkdtempSync(join(tmpdir(), 'ks-keeper-'));
  const registry = join(base, 'reg');
  const started: number[] = [];
  const until = async (what: string, test: () => boolean) => {
    for (let i = 0; i < 200 && !test(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(test(), what).toBe(true);
  };

  it('kills the tree of every registered command still running when its input ends; never an unregistered one', async () => {
    const keeper = spawn('/bin/sh', ['-c', keeperCommand(registry, { kind: 'none' }).text], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    keeper.stdout.on('data', (d) => (out += d));
    await until('the keeper is ready', () => out.includes(KEEPER_READY));
    // two commands registered through the wrapper (one with a child), one that was not
    const cmd = (text: string, reg?: string) =>
      spawn('/bin/sh', ['-c', wrapCommand(text, { kind: 'none' }, reg).text], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    const a = cmd('sleep 301; true', registry);
    const b = cmd('sleep 302 & wait', registry);
    const c = cmd('sleep 303; true');
    started.push(a.pid!, b.pid!, c.pid!);
    await until('both registered', () => readdirSync(registry).length === 2);
    expect(readdirSync(registry).map(Number).sort()).toEqual([a.pid!, b.pid!].sort());
    const bKids = () => execFileSync('sh', ['-c', `pgrep -P ${b.pid} || true`], { encoding: 'utf8' }).trim();
    await until('b has its child', () => bKids() !== '');
    const child = Number(bKids());
    keeper.stdin.write('\n'); // a heartbeat changes nothing
    await new Promise((r) => setTimeout(r, 300));
    expect([a.pid!, b.pid!, c.pid!].every(running)).toBe(true);
    // the connection is gone: its pipes are closed (a shell error written to them would SIGPIPE the keeper), and a
    // command that ended long ago is still registered (its /proc entry is missing)
    execFileSync('sh', ['-c', `echo 1 > ${registry}/${spawnSync('true').pid}`]);
    keeper.stdout.destroy();
    keeper.stderr.destroy();
    keeper.stdin.end();
    await until('a, b and its child are killed', () => ![a.pid!, b.pid!, child].some(running));
    expect(running(c.pid!)).toBe(true); // not registered with this keeper: left alone
    await until('the registry is removed', () => {
      try {
        readdirSync(registry);
        return false;
      } catch {
        return true;
      }
    });
  });

  it('a registered PID reused by another process (other start time) is not killed', async () => {
    const keeper = spawn('/bin/sh', ['-c', keeperCommand(registry, { kind: 'none' }).text], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    keeper.stdout.on('data', (d) => (out += d));
    await until('the keeper is ready', () => out.includes(KEEPER_READY));
    const other = spawn('sleep', ['304'], { stdio: 'ignore', detached: true });
    started.push(other.pid!);
    execFileSync('sh', ['-c', `echo 1 > ${registry}/${other.pid}`]); // start time 1: not this process
    keeper.stdin.end();
    await until('the registry is removed', () => {
      try {
        readdirSync(registry);
        return false;
      } catch {
        return true;
      }
    });
    expect(running(other.pid!)).toBe(true);
  });

  it('the keeper text: registry made by the SSH user (0700), keeper elevated, timeout on silence', () => {
    const k = keeperCommand('/tmp/.kubesmith-keeper-x', { kind: 'sudo' });
    expect(k.text).toMatch(/^\{ mkdir -m 700 \/tmp\/\.kubesmith-keeper-x 2>\/dev\/null \|\| .*; \} && exec sudo -n -- sh -c /);
    expect(k.text).toContain('read -r -t 15');
  });

  it('a command that runs before its keeper makes the registry (0700) and registers; the keeper takes it over and kills it', async () => {
    const reg = join(base, 'first');
    const a = spawn('/bin/sh', ['-c', wrapCommand('sleep 305; true', { kind: 'none' }, reg).text], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    started.push(a.pid!);
    await until('a registered itself', () => {
      try {
        return readdirSync(reg).length === 1;
      } catch {
        return false;
      }
    });
    expect(statSync(reg).mode & 0o777).toBe(0o700);
    const keeper = spawn('/bin/sh', ['-c', keeperCommand(reg, { kind: 'none' }).text], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    keeper.stdout.on('data', (d) => (out += d));
    await until('the keeper is ready', () => out.includes(KEEPER_READY));
    keeper.stdin.end();
    await until('a is killed', () => !running(a.pid!));
  });

  it('a keeper never takes over a registry that is a link', async () => {
    const reg = join(base, 'link');
    symlinkSync(base, reg);
    const r = spawnSync('/bin/sh', ['-c', keeperCommand(reg, { kind: 'none' }).text], { input: '', encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stdout).not.toContain(KEEPER_READY);
  });

  it('cleanup', () => {
    for (const pid of started) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    rmSync(base, { recursive: true, force: true });
  });
});

describe('Semaphore', () => {
  it('never lets more than limit run at once and runs everyone', async () => {
    const s = new Semaphore(3);
    let active = 0;
    let peak = 0;
    const done = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        s.run(async () => {
          peak = Math.max(peak, ++active);
          await new Promise((r) => setTimeout(r, 5));
          active--;
          return i;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(done).toHaveLength(20);
    expect(s.active).toBe(0);
  });
});

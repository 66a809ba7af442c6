import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Semaphore } from '../../../src/transport/semaphore.js';
import { elevate, killTreeScript, wrapCommand } from '../../../src/transport/wrapper.js';

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
    const kids = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n');
    expect(kids).toHaveLength(2);
    const exited = new Promise((r) => child.on('exit', r));
    execFileSync('/bin/sh', ['-c', killTreeScript(pid)]);
    await exited;
    await new Promise((r) => setTimeout(r, 100));
    for (const k of kids) expect(running(Number(k))).toBe(false);
    expect(() => killTreeScript(1)).toThrow('refusing');
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

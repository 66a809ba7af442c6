import { describe, expect, it } from 'vitest';
import { action, commandAction, defineTask } from '../../../src/tasks/common/define.js';
import { isStepsScript } from '../../../src/transport/steps.js';
import { fileAction } from '../../../src/tasks/common/files.js';
import { isWriteStep } from '../../../src/transport/files.js';
import type { Command } from '../../../src/transport/command.js';
import { harness } from './helpers/context.js';
import { makeInventory } from './helpers/inventory.js';

/** A task whose plan() reads the host once per call (counted) and wants one change until it has run. */
function countingTask() {
  let lookups = 0;
  let done = false;
  const runs: string[] = [];
  const task = defineTask({
    id: 'test.counting',
    title: 'Test | counting',
    async plan(ctx) {
      lookups++;
      await ctx.transport.exec(['test', '-e', '/etc/x']);
      return done ? [] : [action('make /etc/x', async () => void (runs.push('make'), (done = true)))];
    },
  });
  return { task, lookups: () => lookups, runs };
}

describe('defineTask', () => {
  it('apply() reuses the plan check() made for the same context: the host is looked at once', async () => {
    const h = harness(makeInventory());
    const name = h.hosts.all[0]!.name;
    h.t(name).allow('test -e /etc/x');
    const { task, lookups, runs } = countingTask();
    const ctx = h.ctx(name);
    const first = await task.check(ctx);
    expect(first).toEqual({ status: 'change', changes: [{ summary: 'make /etc/x' }] });
    await task.apply(ctx, first.status === 'change' ? first.changes : []);
    expect(runs).toEqual(['make']);
    expect(lookups()).toBe(1);
    expect(h.t(name).commands.filter((c) => c === 'test -e /etc/x')).toHaveLength(1);
    // The next check looks again (the cached plan is used once), and sees the change made.
    expect(await task.check(ctx)).toEqual({ status: 'ok' });
    expect(lookups()).toBe(2);
  });

  it('apply() on a context check() never saw plans for itself', async () => {
    const h = harness(makeInventory());
    const name = h.hosts.all[0]!.name;
    h.t(name).allow('test -e /etc/x');
    const { task, lookups, runs } = countingTask();
    await task.apply(h.ctx(name), [{ summary: 'make /etc/x' }]);
    expect(lookups()).toBe(1);
    expect(runs).toEqual(['make']);
  });

  it('a plan is not shared between contexts (hosts or tasks)', async () => {
    const h = harness(makeInventory());
    const [a, b] = h.hosts.all;
    for (const x of [a!, b!]) h.t(x.name).allow('test -e /etc/x');
    const { task, lookups } = countingTask();
    await task.check(h.ctx(a!.name));
    await task.apply(h.ctx(b!.name), [{ summary: 'make /etc/x' }]);
    expect(lookups()).toBe(2);
  });

  it('consecutive commandActions go in one round trip, each command a step; a plain action between them splits the group', async () => {
    const h = harness(makeInventory());
    const name = h.hosts.all[0]!.name;
    const t = h.t(name);
    t.allow('apt-get install').allow('apt-mark hold').allow('systemctl enable').allow('crictl pull');
    // What reaches the host: the recording transport replays a steps script by calling exec() per step (not counted).
    const sent: Command[] = [];
    const exec = t.exec.bind(t);
    let depth = 0;
    t.exec = async (cmd, opts) => {
      if (depth === 0) sent.push(cmd);
      depth++;
      try {
        return await exec(cmd, opts);
      } finally {
        depth--;
      }
    };
    const done: string[] = [];
    const task = defineTask({
      id: 'test.steps',
      title: 'Test | steps',
      plan: async () => [
        commandAction(t, 'install x', [['apt-get', 'install', 'x']], { done: () => done.push('install') }),
        commandAction(t, 'hold x', () => [['apt-mark', 'hold', 'x']]),
        action('a write in between', async () => void done.push('write')),
        commandAction(t, 'enable x', [['systemctl', 'enable', 'x']]),
        commandAction(t, 'pull y', [['crictl', 'pull', 'y']]),
      ],
    });
    const ctx = h.ctx(name);
    const r = await task.check(ctx);
    await task.apply(ctx, r.status === 'change' ? r.changes : []);
    expect(sent.map((c) => (isStepsScript(c) ? c.steps.length : 1))).toEqual([2, 2]);
    expect(t.commands).toEqual(['apt-get install x', 'apt-mark hold x', 'systemctl enable x', 'crictl pull y']);
    expect(done).toEqual(['install', 'write']);
  });

  it('a failing step stops its group: the error names that command, and the next steps and actions do not run', async () => {
    const h = harness(makeInventory());
    const name = h.hosts.all[0]!.name;
    const t = h.t(name);
    t.allow('apt-get install', { code: 100, stderr: 'E: Unable to locate package x' }).allow('apt-mark hold');
    const task = defineTask({
      id: 'test.steps-fail',
      title: 'Test | steps',
      plan: async () => [
        commandAction(t, 'install x', [['apt-get', 'install', 'x']]),
        commandAction(t, 'hold x', [['apt-mark', 'hold', 'x']]),
      ],
    });
    const ctx = h.ctx(name);
    const r = await task.check(ctx);
    await expect(task.apply(ctx, r.status === 'change' ? r.changes : [])).rejects.toThrow(/`apt-get install x` exited 100: E: Unable/);
    expect(t.commands).toEqual(['apt-get install x']);
  });

  it('fileAction writes a small world-readable file as a step; a secret, a 0600 file or a large one through stdin', async () => {
    const h = harness(makeInventory());
    const t = h.t(h.hosts.all[0]!.name);
    const stepOf = async (content: string, opts: Parameters<typeof fileAction>[3] = {}) =>
      (await fileAction(t, '/etc/x.conf', content, opts, null))?.steps?.commands().every(isWriteStep) ?? false;
    expect(await stepOf('a = 1\n')).toBe(true);
    expect(await stepOf('a = 1\n', { mode: '0600' })).toBe(false);
    expect(await stepOf('a = 1\n', { mode: '0644', sensitive: true })).toBe(false);
    expect(await stepOf('x'.repeat(64 * 1024))).toBe(false);
    // either way the transport ends up with the same file
    const write = await fileAction(t, '/etc/x.conf', 'a = 1\n', {}, null);
    await write!.run();
    expect(t.fileText('/etc/x.conf')).toBe('a = 1\n');
    expect(t.files.get('/etc/x.conf')?.mode).toBe('0644');
  });
});

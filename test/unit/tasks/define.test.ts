import { describe, expect, it } from 'vitest';
import { action, defineTask } from '../../../src/tasks/common/define.js';
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
});

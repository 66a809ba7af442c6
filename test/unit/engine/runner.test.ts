import { describe, expect, it } from 'vitest';
import { ConnectError } from '../../../src/transport/types.js';
import { CommandError } from '../../../src/transport/types.js';
import { fakeTask, inventory, Journal, manyHosts, playbook, run } from './fakes.js';
import { action, defineTask } from '../../../src/tasks/common/define.js';

describe('runner', () => {
  it('runs steps in playbook order, check → apply → verify per host, each step a sync point', async () => {
    const j = new Journal();
    const tasks = [fakeTask(j, { id: 'a' }), fakeTask(j, { id: 'b' })];
    const { result } = await run(tasks, playbook(['one', [{ task: 'a', hosts: 'all' }]], ['two', [{ task: 'b', hosts: 'worker' }]]));
    expect(result.ok).toBe(true);
    const firstB = j.lines.findIndex((l) => l.includes(':b:'));
    expect(j.lines.slice(0, firstB).every((l) => l.includes(':a:'))).toBe(true);
    expect(j.lines.filter((l) => l.includes(':a:'))).toHaveLength(9);
    expect(j.lines.filter((l) => l.includes(':b:')).map((l) => l.split(':')[2])).not.toContain('cp1');
    for (const host of ['cp1', 'w1', 'w2']) {
      const mine = j.lines.filter(
        (l) => l.startsWith('check:a:' + host) || l.startsWith('apply:a:' + host) || l.startsWith('verify:a:' + host),
      );
      expect(mine.map((l) => l.split(':')[0])).toEqual(['check', 'apply', 'verify']);
    }
  });

  it('honours the concurrency bound and runs serial steps one host at a time', async () => {
    const j = new Journal();
    const inv = inventory(manyHosts(30));
    await run([fakeTask(j, { id: 'a', delayMs: 5 })], playbook(['p', [{ task: 'a', hosts: 'all' }]]), { concurrency: 7 }, inv);
    expect(j.maxInFlight).toBe(7);

    const k = new Journal();
    await run([fakeTask(k, { id: 's', delayMs: 5 })], playbook(['p', [{ task: 's', hosts: 'all', serial: true }]]), {}, inv);
    expect(k.maxInFlight).toBe(1);

    const n = new Journal();
    await run([fakeTask(n, { id: 's3', delayMs: 5 })], playbook(['p', [{ task: 's3', hosts: 'all', serial: 3 }]]), {}, inv);
    expect(n.maxInFlight).toBe(3);
  });

  it('defaults to 20 hosts in flight', async () => {
    const j = new Journal();
    await run([fakeTask(j, { id: 'a', delayMs: 5 })], playbook(['p', [{ task: 'a', hosts: 'all' }]]), {}, inventory(manyHosts(40)));
    expect(j.maxInFlight).toBe(20);
  });

  it('plan never calls apply or verify and records the changes per host', async () => {
    const j = new Journal();
    const tasks = [
      fakeTask(j, { id: 'a' }),
      fakeTask(j, { id: 'u', result: () => ({ status: 'unknown', reason: 'until a runs' }) }),
      fakeTask(j, { id: 'k', result: () => ({ status: 'ok' }) }),
    ];
    const pb = playbook([
      'p',
      [
        { task: 'a', hosts: 'all' },
        { task: 'u', hosts: 'all' },
        { task: 'k', hosts: 'all' },
      ],
    ]);
    const { result, events } = await run(tasks, pb, { dryRun: true });
    expect(j.lines.some((l) => l.startsWith('apply') || l.startsWith('verify'))).toBe(false);
    expect(j.lines.filter((l) => l.startsWith('check'))).toHaveLength(9);
    const cp1 = result.plan!.hosts.find((h) => h.host === 'cp1')!;
    expect(cp1.tasks.map((t) => [t.task, t.status])).toEqual([
      ['a', 'change'],
      ['u', 'unknown'],
    ]);
    expect(cp1.tasks[0]!.changes[0]!.summary).toBe('do a');
    expect(cp1.tasks[1]!.reason).toBe('until a runs');
    expect(result.recap.hosts.find((h) => h.host === 'cp1')).toMatchObject({ changed: 1, unknown: 1, ok: 1, failed: 0 });
    expect(events.some((e) => e.type === 'plan')).toBe(true);
  });

  it('plan refuses file writes from check()', async () => {
    const sneaky = {
      id: 'sneaky',
      title: 'Bad | Writes in check',
      async check(ctx: import('../../../src/engine/types.js').TaskContext) {
        await ctx.transport.writeFile('/etc/x', 'y');
        return { status: 'ok' as const };
      },
      async apply() {},
    };
    const { result, transports } = await run([sneaky], playbook(['p', [{ task: 'sneaky', hosts: 'all' }]]), { dryRun: true });
    expect(result.ok).toBe(false);
    expect(transports.get('cp1')!.files.size).toBe(0);
    expect(result.recap.hosts[0]!.failure!.message).toMatch(/refusing to write \/etc\/x during plan/);
  });

  it('a failing control-plane step stops the run after the step', async () => {
    const j = new Journal();
    const tasks = [fakeTask(j, { id: 'cp', failApplyOn: ['cp1'] }), fakeTask(j, { id: 'next' })];
    const inv = inventory(
      [
        { name: 'cp1', address: '10.0.0.1', roles: ['control-plane'] },
        { name: 'cp2', address: '10.0.0.2', roles: ['control-plane'] },
        { name: 'w1', address: '10.0.0.3', roles: ['worker'] },
      ],
      { kubernetes: { controlPlaneEndpoint: 'lb:6443' } },
    );
    const { result, events } = await run(
      tasks,
      playbook(['a', [{ task: 'cp', hosts: 'control-plane' }]], ['b', [{ task: 'next', hosts: 'all' }]]),
      {},
      inv,
    );
    expect(result.ok).toBe(false);
    expect(result.stoppedBy).toEqual({ task: 'cp', host: 'cp1' });
    expect(j.lines).toContain('verify:cp:cp2'); // the other host of the step finished
    expect(j.lines.some((l) => l.includes(':next:'))).toBe(false);
    const end = events.at(-1)!;
    expect(end.type === 'run.end' && end.stoppedBy?.task).toBe('cp');
  });

  it('a serial control-plane step starts no further host after a failure', async () => {
    const j = new Journal();
    const inv = inventory(
      [
        { name: 'cp1', address: '10.0.0.1', roles: ['control-plane'] },
        { name: 'cp2', address: '10.0.0.2', roles: ['control-plane'] },
        { name: 'cp3', address: '10.0.0.3', roles: ['control-plane'] },
      ],
      { kubernetes: { controlPlaneEndpoint: 'lb:6443' } },
    );
    const { result, events } = await run(
      [fakeTask(j, { id: 'join', failApplyOn: ['cp2'] })],
      playbook(['a', [{ task: 'join', hosts: 'other-control-planes', serial: true }]]),
      {},
      inv,
    );
    expect(j.lines.some((l) => l.endsWith(':cp3') || l.includes(':cp3:'))).toBe(false);
    expect(events.find((e) => e.type === 'task.host' && e.host === 'cp3')).toMatchObject({
      outcome: 'skipped',
      reason: 'not started: join failed on cp2',
    });
    expect(result.stoppedBy).toEqual({ task: 'join', host: 'cp2' });
  });

  it('a failing worker does not stop other workers and is left out of later steps', async () => {
    const j = new Journal();
    const tasks = [fakeTask(j, { id: 'join', failApplyOn: ['w1'] }), fakeTask(j, { id: 'label' })];
    const { result } = await run(
      tasks,
      playbook([
        'a',
        [
          { task: 'join', hosts: 'worker' },
          { task: 'label', hosts: 'all' },
        ],
      ]),
    );
    expect(result.ok).toBe(false);
    expect(result.stoppedBy).toBeUndefined();
    expect(j.lines).toContain('verify:join:w2');
    expect(
      j.lines
        .filter((l) => l.startsWith('check:label'))
        .map((l) => l.split(':')[2])
        .sort(),
    ).toEqual(['cp1', 'w2']);
    const w1 = result.recap.hosts.find((h) => h.host === 'w1')!;
    expect(w1).toMatchObject({ failed: 1, changed: 0 });
    expect(w1.failure).toMatchObject({ task: 'join', message: 'apply broke on w1' });
  });

  it('in an all-hosts step, a control-plane failure stops the run and is named, whoever failed first', async () => {
    const j = new Journal();
    const tasks = [fakeTask(j, { id: 'prep', failApplyOn: ['w1', 'cp1'] }), fakeTask(j, { id: 'next' })];
    const { result } = await run(
      tasks,
      playbook([
        'a',
        [
          { task: 'prep', hosts: 'all' },
          { task: 'next', hosts: 'all' },
        ],
      ]),
    );
    expect(result.stoppedBy).toEqual({ task: 'prep', host: 'cp1' });
    expect(j.lines.some((l) => l.includes(':next:'))).toBe(false);
  });

  it('critical: true stops on a worker failure; critical: false never stops', async () => {
    const j = new Journal();
    const tasks = [fakeTask(j, { id: 'x', failCheckOn: ['w1'] }), fakeTask(j, { id: 'y' })];
    const stop = await run(
      tasks,
      playbook([
        'a',
        [
          { task: 'x', hosts: 'worker', critical: true },
          { task: 'y', hosts: 'all' },
        ],
      ]),
    );
    expect(stop.result.stoppedBy).toEqual({ task: 'x', host: 'w1' });
    const tasks2 = [fakeTask(j, { id: 'x', failCheckOn: ['cp1'] }), fakeTask(j, { id: 'y' })];
    const go = await run(
      tasks2,
      playbook([
        'a',
        [
          { task: 'x', hosts: 'control-plane', critical: false },
          { task: 'y', hosts: 'all' },
        ],
      ]),
    );
    expect(go.result.stoppedBy).toBeUndefined();
    expect(go.result.recap.hosts.find((h) => h.host === 'w1')!.changed).toBe(1);
  });

  it('--limit narrows every step; a task that says it does not apply is skipped with its reason', async () => {
    const j = new Journal();
    const plugin = (id: string) =>
      defineTask({
        id,
        title: id,
        skip: (ctx) => ctx.inventory.spec.network.plugin !== id && `network.plugin is not ${id}`,
        plan: async () => [action(`${id} on`, async () => void j.lines.push(`apply:${id}:x`))],
      });
    const tasks = [fakeTask(j, { id: 'a' }), plugin('flannel'), plugin('cilium')];
    const pb = playbook([
      'p',
      [
        { task: 'a', hosts: 'all' },
        { task: 'flannel', hosts: 'all' },
        { task: 'cilium', hosts: 'all' },
      ],
    ]);
    const { result, events } = await run(tasks, pb, { limit: ['w2'] });
    expect(j.lines.map((l) => l.split(':').slice(0, 3).join(':'))).toEqual(['check:a:w2', 'apply:a:w2', 'verify:a:w2', 'apply:flannel:x']);
    expect(result.recap.hosts).toEqual([expect.objectContaining({ host: 'w2', changed: 2, skipped: 1 })]);
    expect(events.find((e) => e.type === 'task.host' && e.task === 'cilium')).toMatchObject({
      outcome: 'skipped',
      reason: 'network.plugin is not cilium',
    });
  });

  it('recap carries the failing command, exit code, stderr tail and hint; unreachable hosts fail', async () => {
    const task = {
      id: 'cmd',
      title: 'Fake | run a command',
      async check(ctx: import('../../../src/engine/types.js').TaskContext) {
        if (ctx.host.name === 'w2') throw new ConnectError('w2', 'connection refused', false, 'is sshd running?');
        throw new CommandError(ctx.host.name, 'systemctl start kubelet', 3, '', 'line1\nline2\nJob failed', 'see journalctl -u kubelet');
      },
      async apply() {},
    };
    const { result, events } = await run([task], playbook(['p', [{ task: 'cmd', hosts: 'workers-only' }]]));
    const w1 = result.recap.hosts.find((h) => h.host === 'w1')!;
    expect(w1.failure).toMatchObject({ task: 'cmd', command: 'systemctl start kubelet', exitCode: 3, hint: 'see journalctl -u kubelet' });
    expect(w1.failure!.stderrTail).toContain('Job failed');
    const w2 = events.find((e) => e.type === 'task.host' && e.host === 'w2');
    expect(w2).toMatchObject({ outcome: 'unreachable' });
    expect(result.recap.hosts.find((h) => h.host === 'w2')!.failure!.hint).toBe('is sshd running?');
  });

  it('adds a hint for exit code 127 when the command gave none', async () => {
    const task = {
      id: 'missing',
      title: 'Fake | missing tool',
      async check(ctx: import('../../../src/engine/types.js').TaskContext): Promise<never> {
        throw new CommandError(ctx.host.name, 'crictl ps', 127, '', 'sh: 1: crictl: not found');
      },
      async apply() {},
    };
    const { result } = await run([task], playbook(['p', [{ task: 'missing', hosts: 'first-control-plane' }]]));
    expect(result.recap.hosts[0]!.failure!.hint).toMatch(/not found on the host/);
  });

  it('masks known secrets in failures once more', async () => {
    const task = {
      id: 'leak',
      title: 'Fake | leak',
      async check(): Promise<never> {
        throw new Error('join failed with token abcdef.0123456789abcdef');
      },
      async apply() {},
    };
    const { result } = await run([task], playbook(['p', [{ task: 'leak', hosts: 'first-control-plane' }]]), {
      secrets: () => ['abcdef.0123456789abcdef'],
    });
    expect(result.recap.hosts[0]!.failure!.message).toBe('join failed with token ***');
  });

  it('a secret a task registers is masked in later failures and reported to onSecret', async () => {
    const told: string[] = [];
    const learn = {
      id: 'learn',
      title: 'Fake | learn a token',
      async check(ctx: import('../../../src/engine/types.js').TaskContext) {
        ctx.registerSecret?.('abcdef.0123456789abcdef');
        return { status: 'ok' as const };
      },
      async apply() {},
    };
    const leak = {
      id: 'leak2',
      title: 'Fake | leak it',
      async check(): Promise<never> {
        throw new Error('kubeadm join --token abcdef.0123456789abcdef failed');
      },
      async apply() {},
    };
    const { result } = await run(
      [learn, leak],
      playbook([
        'p',
        [
          { task: 'learn', hosts: 'first-control-plane' },
          { task: 'leak2', hosts: 'workers-only' },
        ],
      ]),
      {
        onSecret: (v) => told.push(v),
      },
    );
    expect(told).toEqual(['abcdef.0123456789abcdef']);
    expect(result.recap.hosts.find((h) => h.host === 'w1')!.failure!.message).toBe('kubeadm join --token *** failed');
  });

  it('masks known secrets in planned changes and diffs', async () => {
    const j = new Journal();
    const leaky = fakeTask(j, {
      id: 'leaky',
      result: () => ({ status: 'change', changes: [{ summary: 'join with s3cr3t-token', diff: '+token: s3cr3t-token\n' }] }),
    });
    const { result, events } = await run([leaky], playbook(['p', [{ task: 'leaky', hosts: 'first-control-plane' }]]), {
      dryRun: true,
      secrets: () => ['s3cr3t-token'],
    });
    expect(JSON.stringify(result.plan)).not.toContain('s3cr3t');
    expect(JSON.stringify(events)).not.toContain('s3cr3t');
    expect(result.plan!.hosts[0]!.tasks[0]!.changes[0]).toEqual({ summary: 'join with ***', diff: '+token: ***\n' });
  });

  it('Ctrl-C (the run signal) lets the running step finish, then stops before the next one', async () => {
    const j = new Journal();
    const controller = new AbortController();
    const first = fakeTask(j, { id: 'first', delayMs: 20 });
    const origCheck = first.check.bind(first);
    first.check = async (ctx) => {
      controller.abort();
      return origCheck(ctx);
    };
    const { result } = await run(
      [first, fakeTask(j, { id: 'second' })],
      playbook([
        'p',
        [
          { task: 'first', hosts: 'all' },
          { task: 'second', hosts: 'all' },
        ],
      ]),
      { signal: controller.signal },
    );
    expect(j.lines.filter((l) => l.startsWith('verify:first'))).toHaveLength(3);
    expect(j.lines.some((l) => l.includes(':second:'))).toBe(false);
    expect(result.ok).toBe(false);
  });

  it('emits typed events in order with step numbers', async () => {
    const j = new Journal();
    const { events } = await run([fakeTask(j, { id: 'a' })], playbook(['p', [{ task: 'a', hosts: 'first-control-plane' }]]));
    expect(events.map((e) => e.type)).toEqual(['run.start', 'phase.start', 'task.start', 'task.host', 'task.end', 'phase.end', 'run.end']);
    const start = events[0]!;
    expect(start.type === 'run.start' && start.steps).toEqual([{ step: 0, phase: 'p', task: 'a', title: 'Fake | a' }]);
    const end = events.at(-1)!;
    expect(end.type === 'run.end' && end.recap.phases.map((p) => p.phase)).toEqual(['p']);
  });

  it('a task timeout fails the host with a clear message', async () => {
    const j = new Journal();
    const { result } = await run(
      [fakeTask(j, { id: 'slow', delayMs: 200 })],
      playbook(['p', [{ task: 'slow', hosts: 'first-control-plane' }]]),
      { taskTimeoutMs: 20 },
    );
    expect(result.recap.hosts.find((h) => h.host === 'cp1')!.failure!.message).toMatch(/slow did not finish within/);
    let seen: AbortSignal | undefined;
    const waits = {
      id: 'waits',
      title: 'Fake | wait for abort',
      async check(ctx: import('../../../src/engine/types.js').TaskContext): Promise<never> {
        seen = ctx.signal;
        return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('killed'))));
      },
      async apply() {},
    };
    await run([waits], playbook(['p', [{ task: 'waits', hosts: 'first-control-plane' }]]), { taskTimeoutMs: 20 });
    expect(seen!.aborted).toBe(true);
  });
});

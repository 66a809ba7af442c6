/** Tiny fake tasks and a harness around runPlaybook, to pin the runner's contract. */
import type { Inventory } from '../../../src/inventory/schema.js';
import { makeInventory } from '../tasks/helpers/inventory.js';
import { Host, Hosts } from '../../../src/model/host.js';
import { TaskRegistry } from '../../../src/engine/registry.js';
import { runPlaybook, type RunnerOptions } from '../../../src/engine/runner.js';
import type { CheckResult, Playbook, PlaybookStep, RunEvent, Task, TaskContext } from '../../../src/engine/types.js';
import { RecordingTransport } from '../../../src/transport/recording.js';

/** The tasks' test inventory (parsed by the real schema), with the engine tests' argument order. */
export function inventory(hosts?: unknown[], spec: Record<string, unknown> = {}): Inventory {
  return makeInventory(spec, hosts);
}

export function manyHosts(workers: number): unknown[] {
  return [
    { name: 'cp1', address: '10.199.0.10', roles: ['control-plane'] },
    ...Array.from({ length: workers }, (_, i) => ({ name: `w${i + 1}`, address: `10.199.1.${i + 1}`, roles: ['worker'] })),
  ];
}

/** A journal of what fake tasks did, in order: "check:t1:cp1", "apply:t1:cp1", "verify:t1:cp1". */
export class Journal {
  readonly lines: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  add(line: string): void {
    this.lines.push(line);
  }
}

export interface FakeTaskSpec {
  id: string;
  /** What check() answers, per host (default: one change). */
  result?: (ctx: TaskContext) => CheckResult;
  /** Throw from check/apply on these hosts. */
  failCheckOn?: string[];
  failApplyOn?: string[];
  delayMs?: number;
}

export function fakeTask(journal: Journal, spec: FakeTaskSpec): Task {
  const pause = async () => {
    journal.inFlight++;
    journal.maxInFlight = Math.max(journal.maxInFlight, journal.inFlight);
    await new Promise((r) => setTimeout(r, spec.delayMs ?? 1));
    journal.inFlight--;
  };
  return {
    id: spec.id,
    title: `Fake | ${spec.id}`,
    async check(ctx) {
      journal.add(`check:${spec.id}:${ctx.host.name}`);
      await pause();
      if (spec.failCheckOn?.includes(ctx.host.name)) throw new Error(`check broke on ${ctx.host.name}`);
      return spec.result?.(ctx) ?? { status: 'change', changes: [{ summary: `do ${spec.id}` }] };
    },
    async apply(ctx, changes) {
      journal.add(`apply:${spec.id}:${ctx.host.name}:${changes.length}`);
      await pause();
      if (spec.failApplyOn?.includes(ctx.host.name)) throw new Error(`apply broke on ${ctx.host.name}`);
    },
    async verify(ctx) {
      journal.add(`verify:${spec.id}:${ctx.host.name}`);
    },
  };
}

export function playbook(...phases: [string, PlaybookStep[]][]): Playbook {
  return { name: 'test', description: '', phases: phases.map(([phase, steps]) => ({ phase, steps })) };
}

export async function run(tasks: Task[], pb: Playbook, extra: Partial<RunnerOptions> = {}, inv = inventory()) {
  const events: RunEvent[] = [];
  const hosts = new Hosts(inv.spec.hosts.map((h) => new Host(h)));
  const transports = new Map<string, RecordingTransport>();
  const result = await runPlaybook({
    playbook: pb,
    registry: new TaskRegistry(tasks),
    inventory: inv,
    inventoryDir: '/tmp',
    hosts,
    connect: async (host) => {
      let t = transports.get(host.name);
      if (!t) transports.set(host.name, (t = new RecordingTransport(host.name)));
      return t;
    },
    listeners: [(e) => events.push(e)],
    ...extra,
  });
  return { result, events, transports, hosts };
}

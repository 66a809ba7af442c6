/** A TaskContext over RecordingTransports, one per host, with default facts and distro. */
import { expect } from 'vitest';
import type { Inventory } from '../../../../src/inventory/schema.js';
import { Host, Hosts } from '../../../../src/model/host.js';
import type { Facts } from '../../../../src/model/facts.js';
import { RunState, type Task, type TaskContext, type Change } from '../../../../src/engine/types.js';
import { debianDistro, rhelDistro } from '../../../../src/distro/index.js';
import { RecordingTransport } from '../../../../src/transport/recording.js';

export function defaultFacts(over: Partial<Facts> = {}): Facts {
  const now = Math.floor(Date.now() / 1000);
  return {
    os: { id: 'debian', idLike: [], versionId: '12', prettyName: 'Debian GNU/Linux 12', family: 'debian' },
    arch: 'amd64',
    hostname: 'localhost',
    kernel: '6.1.0',
    cpus: 2,
    memoryMiB: 4096,
    cgroupVersion: 2,
    swapOn: false,
    selinux: 'absent',
    machineId: 'm',
    productUuid: '',
    macs: [],
    epochSeconds: now,
    adminEpochSeconds: now,
    versions: { kubeadm: '', kubelet: '', kubectl: '', containerd: '', docker: '' },
    cluster: { member: false },
    listeningPorts: [],
    isRoot: true,
    ...over,
  };
}

export interface Harness {
  hosts: Hosts;
  transports: Map<string, RecordingTransport>;
  t(name: string): RecordingTransport;
  ctx(name: string, opts?: { dryRun?: boolean }): TaskContext;
  run: RunState;
}

export function harness(
  inv: Inventory,
  opts: { family?: 'debian' | 'rhel'; facts?: (name: string) => Partial<Facts>; options?: Record<string, unknown> } = {},
): Harness {
  const hosts = new Hosts(inv.spec.hosts.map((h) => new Host(h)));
  const transports = new Map<string, RecordingTransport>();
  for (const h of hosts.all) {
    transports.set(h.name, new RecordingTransport(h.name));
    h.facts = defaultFacts(opts.facts?.(h.name) ?? {});
    h.distro = opts.family === 'rhel' ? rhelDistro('Rocky Linux 9', 'dnf') : debianDistro('Debian 12');
  }
  const run = new RunState();
  const t = (name: string) => transports.get(name)!;
  return {
    hosts,
    transports,
    t,
    run,
    ctx(name, o = {}) {
      const host = hosts.byName(name)!;
      return {
        host,
        hosts,
        inventory: inv,
        inventoryDir: '/tmp',
        transport: t(name),
        transportFor: (h: Host) => t(h.name),
        run,
        dryRun: o.dryRun ?? false,
        signal: new AbortController().signal,
        log: () => {},
        options: opts.options ?? {},
      };
    },
  };
}

const READ_ONLY = [
  /^systemctl (is-enabled|is-active|list-unit-files) /,
  /^swapon --show/,
  /^lsmod$/,
  /^sysctl -n /,
  /^hostname$/,
  /^getenforce$/,
  /^dpkg-query /,
  /rpm -q/,
  /^apt-mark showhold$/,
  /^kubectl --kubeconfig \S+ (-n \S+ )?get /,
  /^test -e /,
  /^containerd --version$/,
  /^crictl inspecti /,
  /^ufw status$/,
  /^firewall-cmd --list-ports$/,
  /^getent passwd /,
  /^date \+%s$/,
  /^helm --kubeconfig \S+ list /,
  /^sh -c 'command -v helm'$/,
];

/** check() wrote nothing and ran only read-only commands. */
export function expectReadOnly(...ts: RecordingTransport[]): void {
  for (const t of ts) {
    expect(t.calls.filter((c) => c.kind === 'writeFile' || c.kind === 'upload').map((c) => c.command)).toEqual([]);
    for (const cmd of t.commands) {
      if (!READ_ONLY.some((re) => re.test(cmd))) throw new Error(`${t.host}: check ran a command that is not read-only: ${cmd}`);
    }
  }
}

/** check → (assert read-only) → apply → verify → check again must be ok. Returns the changes of the first check. */
export async function converge(task: Task, ctx: TaskContext, all: RecordingTransport[]): Promise<Change[]> {
  const before = all.map((t) => t.calls.length);
  const first = await task.check(ctx);
  const checkCalls = all.map((t, i) => t.calls.slice(before[i]));
  for (const calls of checkCalls) {
    expect(calls.filter((c) => c.kind === 'writeFile' || c.kind === 'upload')).toEqual([]);
  }
  if (first.status !== 'change') throw new Error(`expected changes, got ${JSON.stringify(first)}`);
  await task.apply(ctx, first.changes);
  await task.verify?.(ctx);
  const second = await task.check(ctx);
  expect(second).toEqual({ status: 'ok' });
  return first.changes;
}

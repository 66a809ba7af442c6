/**
 * Orchestration overhead: the same 10 no-op shell tasks (`true`) on every lab host, run by
 *   - kubesmith's engine (runPlaybook + the real ConnectionPool, with events, run log and recap),
 *   - the floor: a bare node-ssh loop, one connection per host, the same 10 commands,
 *   - Ansible (shell and raw modules; default settings and tuned: pipelining, ControlPersist, forks = hosts).
 * Same lab, same machine, one after the other.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeSSH } from 'node-ssh';
import { RunLog } from '../src/engine/logdir.js';
import { TaskRegistry } from '../src/engine/registry.js';
import { runPlaybook } from '../src/engine/runner.js';
import type { Playbook, Task } from '../src/engine/types.js';
import { loadInventory } from '../src/inventory/index.js';
import { Host, Hosts } from '../src/model/host.js';
import { ConnectionPool } from '../src/transport/index.js';
import { wrapCommand } from '../src/transport/wrapper.js';
import { formatRecap } from '../src/ui/recap.js';
import type { Lab } from '../test/lab/lab.js';

export const TASKS = 10;

export interface OverheadRow {
  tool: string;
  hosts: number;
  wallMs: number;
  /** Task-hosts per second: TASKS × hosts / wall time. */
  rate: number;
  note?: string;
  connectionsOpened?: number;
  /** Remote commands the tool ran (engine: the pool's command records; Ansible: its ssh invocations). */
  commands?: number;
  /** CPU seconds of the tool itself (engine and floor: the bench process; Ansible: ansible-playbook and its children). */
  cpuS?: number | undefined;
}

const row = (tool: string, hosts: number, wallMs: number, extra: Partial<OverheadRow> = {}): OverheadRow => ({
  tool,
  hosts,
  wallMs,
  rate: (TASKS * hosts) / (wallMs / 1000),
  ...extra,
});

function noopTasks(): Task[] {
  return Array.from({ length: TASKS }, (_, i) => ({
    id: `bench.noop${i + 1}`,
    title: `Bench | Run true (${i + 1})`,
    check: async (ctx) => {
      await ctx.transport.exec(['true']);
      return { status: 'ok' as const };
    },
    apply: async () => undefined,
  }));
}

/** kubesmith's engine: runPlaybook with the real pool, the run log (events + per-host files) and a formatted recap. */
export async function engineRun(lab: Lab, inventoryPath: string, work: string): Promise<OverheadRow> {
  const started = Date.now();
  const cpu0 = process.cpuUsage();
  let commands = 0;
  const loaded = await loadInventory(inventoryPath);
  const tasks = noopTasks();
  const playbook: Playbook = {
    name: 'bench-noop',
    description: '10 no-op tasks',
    phases: [{ phase: 'Noop', steps: tasks.map((t) => ({ task: t.id, hosts: 'all' as const })) }],
  };
  const hosts = new Hosts(loaded.inventory.spec.hosts.map((h) => new Host(h)));
  const log = new RunLog(mkdtempSync(join(work, 'engine-log-')));
  const pool = new ConnectionPool(loaded.inventory, {
    inventoryDir: loaded.dir,
    onCommand: (rec) => {
      commands++;
      log.command(rec);
    },
  });
  let recapText = '';
  try {
    const result = await runPlaybook({
      playbook,
      registry: new TaskRegistry(tasks),
      inventory: loaded.inventory,
      inventoryDir: loaded.dir,
      hosts,
      concurrency: lab.hosts.length,
      connect: (h) => pool.get(h),
      listeners: [(e) => log.event(e)],
      logDir: log.dir,
      hostLog: (h, m) => log.hostLine(h, m),
    });
    if (!result.ok) throw new Error(`engine run failed:\n${formatRecap(result.recap, { color: false, dryRun: false })}`);
    recapText = formatRecap(result.recap, { color: false, dryRun: false });
  } finally {
    await pool.closeAll();
    log.close();
  }
  const wallMs = Date.now() - started;
  if (!recapText.includes('h1')) throw new Error('engine recap is missing hosts');
  return row('kubesmith engine', lab.hosts.length, wallMs, {
    connectionsOpened: pool.stats().connectionsOpened,
    commands,
    cpuS: cpuSince(cpu0),
  });
}

/** kubesmith's remote command text for `true` as root (src/transport/wrapper.ts): a PID line, then sh -c. */
const WRAPPED_TRUE = wrapCommand('true', { kind: 'none' }).text;

/**
 * The floor: node-ssh, one connection per host, the same 10 commands one after the other, all hosts at once.
 * `wrapped`: send kubesmith's remote wrapper text instead of `true`, to split remote from local cost.
 */
export async function floorRun(lab: Lab, wrapped = false): Promise<OverheadRow> {
  const key = readFileSync(lab.keyPath, 'utf8');
  const started = Date.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    lab.hosts.map(async (h) => {
      const ssh = new NodeSSH();
      await ssh.connect({ host: h.ip, username: 'root', privateKey: key, readyTimeout: 30_000 });
      try {
        for (let i = 0; i < TASKS; i++) {
          const r = await ssh.execCommand(wrapped ? WRAPPED_TRUE : 'true');
          if (r.code !== 0) throw new Error(`${h.name}: true exited ${r.code}`);
        }
      } finally {
        ssh.dispose();
      }
    }),
  );
  const tool = wrapped ? "node-ssh loop sending kubesmith's wrapper (PID line + sh -c)" : 'bare node-ssh loop (floor)';
  return row(tool, lab.hosts.length, Date.now() - started, {
    connectionsOpened: lab.hosts.length,
    commands: TASKS * lab.hosts.length,
    cpuS: cpuSince(cpu0),
  });
}

const cpuSince = (start: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
};

export interface AnsibleVariant {
  module: 'shell' | 'raw';
  tuned: boolean;
}

export const ANSIBLE_VARIANTS: AnsibleVariant[] = [
  { module: 'shell', tuned: false },
  { module: 'shell', tuned: true },
  { module: 'raw', tuned: false },
  { module: 'raw', tuned: true },
];

/** Ansible against the same hosts: a generated INI inventory with the lab key, gather_facts off. */
export async function ansibleRun(lab: Lab, v: AnsibleVariant, work: string): Promise<OverheadRow> {
  const dir = mkdtempSync(join(work, `ansible-${v.module}-${v.tuned ? 'tuned' : 'default'}-`));
  const cp = join(dir, 'cp');
  mkdirSync(cp);
  const ssh = `-o UserKnownHostsFile=${lab.knownHostsPath} -o StrictHostKeyChecking=yes`;
  writeFileSync(
    join(dir, 'hosts.ini'),
    [
      '[lab]',
      ...lab.hosts.map((h) => `${h.name} ansible_host=${h.ip}`),
      '',
      '[lab:vars]',
      'ansible_user=root',
      `ansible_ssh_private_key_file=${lab.keyPath}`,
      'ansible_python_interpreter=/usr/bin/python3',
      '',
    ].join('\n'),
  );
  const cfg = [
    '[defaults]',
    'host_key_checking = True',
    'retry_files_enabled = False',
    'interpreter_python = /usr/bin/python3',
    `local_tmp = ${dir}/tmp`,
  ];
  if (v.tuned) cfg.push(`forks = ${lab.hosts.length}`);
  cfg.push('', '[ssh_connection]', `control_path_dir = ${cp}`);
  // Default ssh_args already carry ControlMaster=auto, ControlPersist=60s; tuned: a longer persist and pipelining.
  cfg.push(
    v.tuned
      ? `ssh_args = -C -o ControlMaster=auto -o ControlPersist=600s ${ssh}`
      : `ssh_args = -C -o ControlMaster=auto -o ControlPersist=60s ${ssh}`,
  );
  if (v.tuned) cfg.push('pipelining = True');
  // Every remote command Ansible runs is one ssh invocation: a wrapper counts them (one line each).
  const calls = join(dir, 'ssh-calls');
  writeFileSync(join(dir, 'ssh'), `#!/bin/sh\necho >> '${calls}'\nexec ssh "$@"\n`, { mode: 0o755 });
  cfg.push(`ssh_executable = ${join(dir, 'ssh')}`);
  writeFileSync(join(dir, 'ansible.cfg'), cfg.join('\n') + '\n');
  const task = v.module === 'shell' ? '      shell: "true"' : '      raw: "true"';
  const tasks = Array.from({ length: TASKS }, (_, i) => [`    - name: noop ${i + 1}`, task].join('\n'));
  writeFileSync(join(dir, 'play.yaml'), ['- hosts: all', '  gather_facts: false', '  tasks:', ...tasks, ''].join('\n'));
  const started = Date.now();
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      'bash',
      // `times`: the CPU of ansible-playbook and every process it waited for (forks, ssh), on the last line
      ['-c', 'ansible-playbook -i hosts.ini play.yaml || exit; times'],
      {
        cwd: dir,
        env: { ...process.env, ANSIBLE_CONFIG: join(dir, 'ansible.cfg'), ANSIBLE_NOCOLOR: '1' },
        maxBuffer: 64 * 1024 * 1024,
        timeout: 1_800_000,
      },
      (err, stdout, stderr) =>
        err
          ? reject(new Error(`ansible-playbook failed: ${err.message}\n${stdout.slice(-3000)}\n${stderr.slice(-2000)}`))
          : resolve(stdout),
    ),
  );
  const wallMs = Date.now() - started;
  const okHosts = out.split('\n').filter((l) => /: ok=\d+ .*failed=0/.test(l) && /unreachable=0/.test(l)).length;
  if (okHosts !== lab.hosts.length) throw new Error(`ansible recap shows ${okHosts}/${lab.hosts.length} clean hosts:\n${out.slice(-3000)}`);
  const forks = v.tuned ? lab.hosts.length : 5;
  const note = v.tuned ? `pipelining, ControlPersist=600s, forks=${forks}` : 'defaults (forks=5, ControlPersist=60s, no pipelining)';
  const commands = readFileSync(calls, 'utf8').split('\n').length - 1;
  return row(`Ansible ${v.module} ${v.tuned ? 'tuned' : 'default'}`, lab.hosts.length, wallMs, { note, commands, cpuS: childCpuS(out) });
}

/** bash `times`' last line ("0m1.234s 0m0.567s": children's user and system time) → seconds. */
export function childCpuS(out: string): number | undefined {
  const last = out.trim().split('\n').at(-1) ?? '';
  const m = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(last.trim());
  return m ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]) : undefined;
}

export function workDir(): string {
  return mkdtempSync(join(tmpdir(), 'ks-bench-'));
}

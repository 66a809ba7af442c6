/**
 * `npm run lab -- up N [--os X] [--name NAME] [--no-users] [--rtt 100ms] [--rate 100mbit]`
 *                                                             bring up N hosts, print time and memory per host;
 *                                                             --rtt/--rate: a WAN in front of each sshd (wan-proxy.ts)
 * `npm run lab -- down [--name NAME | --all]`                  remove an instance (or all of them)
 * `npm run lab -- status`                                      list instances and hosts
 * `npm run lab -- ssh HOST [--name NAME] [--user kube]`        print the ssh command that reaches HOST
 * `npm run lab -- clock +400d [--name NAME] [--host HOST]`     move the lab clock of every host (or one) forward
 */
import { readdirSync } from 'node:fs';
import { instanceNames } from './instance.js';
import { labDown, labGet, labList, labUp } from './lab.js';
import { OSES, type Os } from './paths.js';
import { hostProcesses, memoryOf, pidsByNamespace, startTime } from './procs.js';
import { parseRate, parseRtt } from './wan-proxy.js';

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
  args.splice(i, 2);
  return v;
}

function bool(args: string[], name: string): boolean {
  const i = args.indexOf(name);
  if (i >= 0) args.splice(i, 1);
  return i >= 0;
}

async function up(args: string[]) {
  const name = flag(args, '--name') ?? 'lab';
  const os = flag(args, '--os') as Os | undefined;
  if (os && !OSES.includes(os)) throw new Error(`--os must be one of ${OSES.join(', ')}`);
  const users = !bool(args, '--no-users');
  const rtt = flag(args, '--rtt');
  const rate = flag(args, '--rate');
  const wan = rtt || rate ? { rttMs: rtt ? parseRtt(rtt) : 0, rateBps: rate ? parseRate(rate) : 0 } : undefined;
  const n = Number(args[0] ?? '3');
  if (!Number.isInteger(n) || n < 1) throw new Error('usage: lab up N');
  const t0 = performance.now();
  const lab = await labUp({ name, hosts: n, os, users, ...(wan ? { wan } : {}) });
  const seconds = (performance.now() - t0) / 1000;
  const byNs = pidsByNamespace();
  const mems = lab.hosts.map((h) => memoryOf(hostProcesses(h.pid, byNs)));
  const rss = mems.reduce((a, m) => a + m.rssKiB, 0) / mems.length / 1024;
  const pss = mems.reduce((a, m) => a + m.pssKiB, 0) / mems.length / 1024;
  console.log(`lab ${lab.name}: ${n} hosts up in ${seconds.toFixed(1)} s (subnet ${lab.subnet}, LAB_ROOT ${lab.root})`);
  if (wan) console.log(`WAN: ${wan.rttMs} ms RTT, ${wan.rateBps ? `${wan.rateBps / 1e6} Mbit/s each way per host` : 'no rate limit'}`);
  console.log(`memory per host: ${rss.toFixed(1)} MiB RSS (sum over its processes), ${pss.toFixed(1)} MiB PSS`);
  for (const h of lab.hosts.slice(0, 10)) console.log(`  ${h.name.padEnd(12)} ${h.ip.padEnd(14)} ${h.os}`);
  if (lab.hosts.length > 10) console.log(`  … and ${lab.hosts.length - 10} more (npm run lab -- status)`);
  console.log(`ssh: npm run lab -- ssh ${lab.hosts[0]?.name} --name ${lab.name}`);
}

async function down(args: string[]) {
  const names = bool(args, '--all') ? instanceNames() : [flag(args, '--name') ?? 'lab'];
  for (const n of names) {
    const t0 = performance.now();
    await labDown(n);
    console.log(`lab ${n}: down in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}

function status() {
  const list = labList();
  if (!list.length) console.log('no lab instances');
  for (const r of list) {
    const running = r.hosts.filter((h) => h.pid && h.pidStart !== undefined && startTime(h.pid) === h.pidStart).length;
    console.log(`${r.name}: index ${r.index}, subnet ${r.subnet}, ${running}/${r.hosts.length} hosts running, root ${r.root}`);
    for (const h of r.hosts) console.log(`  ${h.name.padEnd(12)} ${h.ip.padEnd(14)} ${h.os.padEnd(11)} pid ${h.pid}`);
  }
  const known = new Set(list.map((r) => r.index));
  const strayNetns = allLabNetns().filter((n) => !known.has(Number(/^ksl(\d+)-/.exec(n)?.[1])));
  if (strayNetns.length) console.log(`netns without an instance (a crashed run? \`down --all\`): ${strayNetns.join(' ')}`);
  for (const n of instanceNames())
    if (!list.some((r) => r.name === n)) console.log(`${n}: directory without instance.json (\`down --name ${n}\`)`);
}

function allLabNetns(): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => /^ksl\d+-/.test(n));
  } catch {
    return [];
  }
}

function ssh(args: string[]) {
  const name = flag(args, '--name') ?? 'lab';
  const user = (flag(args, '--user') ?? 'root') as 'root' | 'kube';
  const host = args[0];
  if (!host) throw new Error('usage: lab ssh HOST [--name NAME] [--user kube]');
  console.log(['ssh', ...labGet(name).sshArgs(host, user)].join(' '));
}

/** "+400d", "-2d", "+12h", "90" (days): the step in days. */
function parseClockStep(text: string | undefined): number {
  const m = /^([+-]?\d+(?:\.\d+)?)(d|h)?$/.exec(text ?? '');
  if (!m) throw new Error('usage: lab clock +Nd|-Nd|+Nh [--name NAME] [--host HOST]');
  return Number(m[1]) / (m[2] === 'h' ? 24 : 1);
}

async function clock(args: string[]) {
  const name = flag(args, '--name') ?? 'lab';
  const host = flag(args, '--host') ?? 'all';
  const offsets = await labGet(name).advanceClock(host, parseClockStep(args[0]));
  for (const [h, s] of Object.entries(offsets))
    console.log(
      `  ${h.padEnd(12)} lab clock ${s >= 0 ? '+' : ''}${(s / 86_400).toFixed(2)} days (${new Date(Date.now() + s * 1000).toISOString()})`,
    );
}

async function main(argv: string[]) {
  const [cmd, ...args] = argv;
  switch (cmd) {
    case 'up':
      return up(args);
    case 'down':
      return down(args);
    case 'status':
      return status();
    case 'ssh':
      return ssh(args);
    case 'clock':
      return clock(args);
    default:
      console.log(
        'usage: npm run lab -- up N [--os X] [--name N] [--rtt 100ms] [--rate 100mbit] | down [--name N|--all] | status | ssh HOST [--name N] | clock +Nd [--name N] [--host H]',
      );
      if (cmd && cmd !== 'help' && cmd !== '--help') process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});

/**
 * What every playbook command does: load the inventory → open the run log → connect (pool) → run the playbook
 * with progress → print the plan and the recap → exit code. Commands added later (reset, certs, etcd …)
 * call executePlaybook with their playbook name and options.
 */
import type { CommandContext } from '../cli/context.js';
import { UsageError } from '../cli/context.js';
import { checksFilePath, loadChecks, saveChecks } from '../engine/checks-file.js';
import { ConvergeCache } from '../engine/converge.js';
import { withLockStep, RunLocks, type RunLocksOptions } from '../engine/lock.js';
import { defaultLogDir, RunLog } from '../engine/logdir.js';
import { loadPlaybook } from '../engine/playbook.js';
import { TaskRegistry } from '../engine/registry.js';
import { runPlaybook, scope, type RunListener, type RunResult } from '../engine/runner.js';
import { formatIssue, loadInventory, type LoadedInventory, type LocalFileChecks } from '../inventory/index.js';
import type { Host, Hosts } from '../model/host.js';
import { allTasks } from '../tasks/index.js';
import type { Transport } from '../transport/types.js';
import { jsonRenderer } from '../ui/json.js';
import { listrRenderer, type ListrUi } from '../ui/listr.js';
import { plainRenderer } from '../ui/plain.js';
import { formatPlan } from '../ui/plan.js';
import { formatRecap } from '../ui/recap.js';

/**
 * The inventory alone, for commands that connect to no host (validate, bundle): loaded with the local file checks
 * they ask for (InventoryError propagates: the CLI prints every issue and exits 2); warnings go to stderr.
 * Commands that work on the cluster use ctx.cluster() instead, which loads it once.
 */
export async function loadInventoryFor(ctx: Pick<CommandContext, 'flags' | 'out'>, files: LocalFileChecks = {}): Promise<LoadedInventory> {
  if (!ctx.flags.inventory) throw new UsageError('missing -i/--inventory FILE');
  const loaded = await loadInventory(ctx.flags.inventory, { files });
  for (const w of loaded.warnings) ctx.out.stderr.write(formatIssue(w) + '\n'); // stderr: stdout stays JSON-only
  return loaded;
}

/** Every --limit entry must name a host or a role. */
export function checkLimit(hosts: Hosts, limit: readonly string[] | undefined): void {
  const known = new Set<string>(['control-plane', 'worker', ...hosts.all.map((h) => h.name)]);
  const unknown = (limit ?? []).filter((n) => !known.has(n));
  if (unknown.length) {
    throw new UsageError(
      `--limit names no host or role: ${unknown.join(', ')} (hosts: ${hosts.all.map((h) => h.name).join(', ')}; roles: control-plane, worker)`,
    );
  }
}

/** "--limit worker selects: w1, w2" (or the named host), so the operator sees the scope before anything changes. */
function announceScope(ctx: CommandContext, hosts: Hosts, only: readonly string[] | undefined, limit: readonly string[] | undefined): void {
  if (!only && !limit) return;
  const selected = scope({ hosts, only, limit }).all.map((h) => h.name);
  const by = only ? `host name ${only.join(', ')}` : `--limit ${limit!.join(',')}`;
  ctx.out.stderr.write(`${by} selects: ${selected.join(', ') || '(no host)'}\n`);
}

/** Secret values the run knows (SSH/sudo passwords from passwordEnv), masked again in every log line. */
function knownSecrets(loaded: LoadedInventory, env: CommandContext['env']): string[] {
  const names = [loaded.inventory.spec.ssh.passwordEnv, ...loaded.inventory.spec.hosts.map((h) => h.ssh?.passwordEnv)];
  return names
    .filter((n): n is string => !!n)
    .map((n) => env[n] ?? '')
    .filter((v) => v.length > 0);
}

/** The converge batch of this cluster and playbook: last run's checks in, this run's checks out (src/engine/converge.ts). */
function convergeFor(ctx: CommandContext, loaded: LoadedInventory, hosts: Hosts, playbook: string, log: RunLog) {
  const file = checksFilePath(ctx.cwd, loaded.inventory.metadata.name, playbook);
  const previous = loadChecks(file);
  const cache = new ConvergeCache({
    previous,
    clusterHosts: hosts.controlPlanes.map((h) => h.name),
    hostLog: (host, message) => log.hostLine(host, message),
  });
  const save = (result: RunResult, secrets: readonly string[]) => {
    const failed = new Set(result.recap.hosts.filter((h) => h.failed > 0).map((h) => h.host));
    try {
      saveChecks(file, previous, cache.recorded(), (host) => !failed.has(host), secrets);
    } catch (err) {
      ctx.out.stderr.write(`warning: could not save ${file}: ${(err as Error).message}\n`);
    }
  };
  return { cache, save };
}

export interface PlaybookRun {
  /** A name under playbooks/ or a path. */
  playbook: string;
  /** plan: check only; nothing is written on any host. */
  dryRun: boolean;
  /** Options tasks may read (ctx.options). */
  options?: Record<string, unknown>;
  /** Exactly these hosts, by name only (node remove NAME, recover --node NAME); --limit is not consulted. */
  only?: string[];
  /** Print the hosts --limit (or `only`) selected on stderr before anything runs (destructive commands). */
  announceScope?: boolean;
  /**
   * Answer the checks from one batch per host (src/engine/converge.ts): apply and its plan, whose checks are all
   * read-only look-ups; the one-shot operations (reset, recover, certs, etcd) ask one by one.
   */
  converge?: boolean;
  /** Called after the run while the connections are still open (apply reads its summary here). */
  beforeClose?: (session: RunSession) => Promise<void>;
}

/** What a command may use after the run, before the pool closes: the same connections, hosts and inventory. */
export interface RunSession {
  connect: (host: Host) => Promise<Transport>;
  hosts: Hosts;
  inventory: LoadedInventory['inventory'];
  result: RunResult;
}

export async function executePlaybook(ctx: CommandContext, run: PlaybookRun): Promise<{ code: number; result: RunResult }> {
  const cluster = await ctx.cluster();
  const { loaded, hosts } = cluster;
  // Mutating runs over SSH take a per-host lock as their first step (src/engine/lock.ts); plan never does,
  // nor do runs on injected test transports.
  // The lock goes to each host with its batch of checks, in one round trip, once the converge cache exists (below).
  let fold: RunLocksOptions['fold'];
  const locks =
    run.dryRun || ctx.connections
      ? undefined
      : new RunLocks({ command: run.playbook, fold: async (host, script, proceed) => fold?.(host, script, proceed) });
  const registry = new TaskRegistry(locks ? [...allTasks, locks.task()] : allTasks);
  const playbook = locks ? withLockStep(loadPlaybook(run.playbook, registry)) : loadPlaybook(run.playbook, registry);
  if (!run.only) checkLimit(hosts, ctx.flags.limit);
  const limit = run.only ? undefined : ctx.flags.limit;
  if (run.announceScope) announceScope(ctx, hosts, run.only, limit);

  const log = new RunLog(ctx.flags.logDir ?? defaultLogDir(ctx.cwd, ctx.now()));
  const secrets = knownSecrets(loaded, ctx.env);
  log.addSecrets(secrets);
  const pool = cluster.connect((rec) => log.command(rec));
  const learned: string[] = []; // secrets tasks registered: never written to the checks file
  const converge = run.converge && !ctx.connections ? convergeFor(ctx, loaded, hosts, playbook.name, log) : undefined;
  if (converge) {
    const cache = converge.cache;
    fold = async (name, script, proceed) => {
      const host = hosts.byName(name);
      return host ? cache.withBatch(name, () => pool.get(host), script, proceed) : undefined;
    };
  }
  const connectAfter = async (host: Host) => {
    const t = await pool.get(host);
    return converge?.cache.view(t, () => 'check') ?? t;
  };

  const { ui, listr } = runUi(ctx);
  let result: RunResult;
  try {
    const opts: Parameters<typeof runPlaybook>[0] = {
      playbook,
      registry,
      inventory: loaded.inventory,
      inventoryDir: loaded.dir,
      hosts,
      concurrency: ctx.flags.concurrency,
      dryRun: run.dryRun,
      connect: (host) => pool.get(host),
      listeners: [(e) => log.event(e), ui],
      options: { ...run.options, yes: ctx.flags.yes },
      signal: ctx.signal,
      logDir: log.dir,
      hostLog: (host, message) => log.hostLine(host, message),
      secrets: () => secrets,
      onSecret: (value) => {
        learned.push(value);
        log.addSecrets([value]);
      },
    };
    if (converge) opts.checks = converge.cache;
    if (run.only) opts.only = run.only;
    else if (limit) opts.limit = limit;
    if (ctx.flags.timeoutSeconds) opts.taskTimeoutMs = ctx.flags.timeoutSeconds * 1000;
    result = await runPlaybook(opts);
    await run.beforeClose?.({ connect: connectAfter, hosts, inventory: loaded.inventory, result });
    // plan reads the list apply keeps but never replaces it (apply's checks include its summary's)
    if (!run.dryRun) converge?.save(result, [...secrets, ...learned]);
  } finally {
    await listr?.done();
    await locks?.release();
    await pool.closeAll();
    log.close();
  }

  if (ctx.flags.output === 'text') printSummary(ctx, result, run.dryRun, log.dir);
  return { code: result.ok ? 0 : 1, result };
}

/** How the run shows on the console: JSON lines, listr on a terminal, plain lines otherwise. */
function runUi(ctx: CommandContext): { ui: RunListener; listr: ListrUi | undefined } {
  if (ctx.flags.output !== 'text') return { ui: jsonRenderer(ctx.out), listr: undefined };
  const listr = ctx.out.isTTY ? listrRenderer(ctx.out) : undefined;
  return { ui: listr ? listr.listener : plainRenderer(ctx.out), listr };
}

/** After a text-mode run: the plan (for plan), the recap and where the logs are. */
function printSummary(ctx: CommandContext, result: RunResult, dryRun: boolean, logDir: string): void {
  const color = ctx.out.color;
  if (result.plan) ctx.out.stdout.write(formatPlan(result.plan, { color }) + '\n');
  ctx.out.stdout.write(formatRecap(result.recap, { color, dryRun }));
  ctx.out.stdout.write(`logs: ${logDir}\n`);
}

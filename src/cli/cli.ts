/** argv → command → exit code. Pure of process: main.ts supplies the streams, env and signal. */
import { parseArgs } from 'node:util';
import { PlaybookError } from '../engine/playbook.js';
import { InventoryError, formatIssue } from '../inventory/index.js';
import type { Output } from '../ui/output.js';
import { findCommand, commands } from './commands.js';
import {
  EXIT,
  UsageError,
  type CommandContext,
  type GlobalFlags,
  type ConnectionsFactory,
  type CommandSpec,
  type FlagSpec,
  type FlagValue,
} from './context.js';
import { GLOBAL_FLAGS, globalFlags } from './flags.js';
import { commandHelp, overviewHelp } from './help.js';
import { openCluster, type Cluster } from '../commands/cluster.js';
import { versionCommand } from './version.js';

export interface CliIo {
  out: Output;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  signal: AbortSignal;
  now?: () => Date;
  /** Tests: connect to recording transports instead of SSH. */
  connections?: ConnectionsFactory;
}

type ParseOptions = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

function parseOptions(flags: Record<string, FlagSpec>): ParseOptions {
  const out: NonNullable<ParseOptions> = {};
  for (const [name, f] of Object.entries(flags)) {
    out[name] = { type: f.type, ...(f.short ? { short: f.short } : {}), ...(f.multiple ? { multiple: true } : {}) };
  }
  return out;
}

function allFlags(): Record<string, FlagSpec> {
  return Object.assign({}, ...commands.map((c) => c.flags ?? {}), GLOBAL_FLAGS) as Record<string, FlagSpec>;
}

function closest(name: string): string | undefined {
  return commands.map((c) => c.name).find((n) => n.startsWith(name.slice(0, 2)));
}

async function dispatch(argv: string[], io: CliIo): Promise<number> {
  const loose = parseArgs({ args: argv, options: parseOptions(allFlags()), allowPositionals: true, strict: false });
  const name = loose.positionals[0];
  if (name === undefined || name === 'help') {
    const topic = name === 'help' ? loose.positionals[1] : undefined;
    const cmd = topic ? findCommand(topic) : undefined;
    if (topic && !cmd) throw new UsageError(`unknown command "${topic}"`);
    if (!name && loose.values.version === true) return versionCommand.run(context(io, versionCommand, {}, []));
    io.out.stdout.write(cmd ? commandHelp(cmd) : overviewHelp(commands));
    return name || loose.values.help === true ? EXIT.ok : EXIT.usage;
  }
  const cmd = findCommand(name);
  if (!cmd) {
    const guess = closest(name);
    throw new UsageError(`unknown command "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}; run kubesmith --help`);
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options: parseOptions({ ...GLOBAL_FLAGS, ...cmd.flags }), allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''), cmd.name);
  }
  if (parsed.values.help === true) {
    io.out.stdout.write(commandHelp(cmd));
    return EXIT.ok;
  }
  if (parsed.values.version === true) return versionCommand.run(context(io, versionCommand, {}, []));
  const positionals = [...parsed.positionals];
  positionals.splice(positionals.indexOf(name), 1);
  const [min, max] = cmd.positionals ?? [0, 0];
  if (positionals.length < min || positionals.length > max) {
    throw new UsageError(
      positionals.length > max ? `unexpected argument "${positionals[max]}"` : `missing argument (usage: kubesmith ${cmd.usage})`,
      cmd.name,
    );
  }
  return cmd.run(context(io, cmd, parsed.values as Record<string, FlagValue>, positionals));
}

function context(io: CliIo, cmd: CommandSpec, values: Record<string, FlagValue>, positionals: string[]): CommandContext {
  let flags: GlobalFlags;
  try {
    flags = globalFlags(values);
  } catch (err) {
    throw err instanceof UsageError ? new UsageError(err.message, cmd.name) : err;
  }
  let cluster: Promise<Cluster> | undefined;
  const ctx: CommandContext = {
    flags,
    values,
    positionals,
    out: io.out,
    env: io.env,
    cwd: io.cwd,
    signal: io.signal,
    now: io.now ?? (() => new Date()),
    cluster: () => (cluster ??= openCluster(ctx)),
  };
  if (io.connections) ctx.connections = io.connections;
  return ctx;
}

/** Run the CLI; never throws; returns the exit code (0 ok, 1 a task failed, 2 invalid input or usage). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const json = argv.includes('--output=json') || argv.some((a, i) => a === '--output' && argv[i + 1] === 'json');
  const report = (code: number, message: string, extra: Record<string, unknown> = {}) => {
    io.out.stderr.write(message.endsWith('\n') ? message : message + '\n');
    if (json) io.out.stdout.write(JSON.stringify({ type: 'error', exitCode: code, message, ...extra }) + '\n');
    return code;
  };
  try {
    return await dispatch(argv, io);
  } catch (err) {
    if (err instanceof InventoryError) {
      return report(EXIT.usage, err.issues.map(formatIssue).join('\n'), { issues: err.issues });
    }
    if (err instanceof UsageError) {
      const more = err.command ? `\nrun: kubesmith ${err.command} --help` : '';
      return report(EXIT.usage, `kubesmith: ${err.message}${more}`);
    }
    if (err instanceof PlaybookError) return report(EXIT.usage, `kubesmith: ${err.message}`);
    const message = err instanceof Error ? err.message : String(err);
    const stack = io.env.KUBESMITH_DEBUG && err instanceof Error && err.stack ? `\n${err.stack}` : '';
    return report(EXIT.failed, `kubesmith: ${message}${stack}`);
  }
}

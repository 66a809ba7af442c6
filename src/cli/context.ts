import type { Inventory } from '../inventory/schema.js';
import type { Host } from '../model/host.js';
import type { Transport } from '../transport/types.js';
import type { Cluster } from '../commands/cluster.js';

/** The connections a run uses: the SSH ConnectionPool, or recording transports in tests. */
export interface HostConnections {
  get(host: Host): Promise<Transport>;
  closeAll(): Promise<void>;
}

export interface ConnectionsOptions {
  inventoryDir: string;
  onCommand(rec: { host: string; command: string; code: number; stdout: string; stderr: string; durationMs: number }): void;
  env: Readonly<Record<string, string | undefined>>;
}

export type ConnectionsFactory = (inventory: Inventory, opts: ConnectionsOptions) => HostConnections;

/** What a command gets from the CLI: parsed flags, where to write, the environment. Commands never touch process. */
import type { Output } from '../ui/output.js';

export interface GlobalFlags {
  inventory?: string;
  /** --limit: host names or roles. */
  limit?: string[];
  concurrency: number;
  output: 'text' | 'json';
  logDir?: string;
  yes: boolean;
  /** --timeout: seconds one task may take on one host. */
  timeoutSeconds?: number;
}

export type FlagValue = string | boolean | string[] | undefined;

/** A command's own flag values, typed from its flag table: booleans, strings, or string lists for `multiple`. */
export type FlagValues<F extends Record<string, FlagSpec>> = {
  readonly [K in keyof F]?: F[K]['type'] extends 'boolean' ? boolean : F[K] extends { multiple: true } ? string[] : string;
};

/** The untyped table (the command list's element type) keeps the untyped bag; a literal table gets its own types. */
type ValuesOf<F extends Record<string, FlagSpec>> =
  Record<string, FlagSpec> extends F ? Readonly<Record<string, FlagValue>> : FlagValues<F>;

export interface CommandContext<V extends Readonly<Record<string, FlagValue>> = Readonly<Record<string, FlagValue>>> {
  flags: GlobalFlags;
  /** This command's own flags, by long name, typed by defineCommand from the command's flag table. */
  values: V;
  positionals: string[];
  out: Output;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  now(): Date;
  /** How runs connect to hosts (default: the SSH ConnectionPool). */
  connections?: ConnectionsFactory;
  /** The inventory's cluster, loaded on first use and shared by everything this command does (src/commands/cluster.ts). */
  cluster(): Promise<Cluster>;
}

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Shown in help: `--name N`. */
  valueName?: string;
  description: string;
}

/** One CLI command, made with defineCommand. Register it in src/cli/commands.ts (one line). */
export interface CommandSpec<F extends Record<string, FlagSpec> = Record<string, FlagSpec>> {
  name: string;
  summary: string;
  /** Usage after "kubesmith ", e.g. "plan -i FILE [PLAYBOOK]". */
  usage: string;
  description?: string;
  examples: string[];
  /** Flags of this command besides the global ones. */
  flags?: F;
  /** Whether the run flags (--limit, --concurrency, --log-dir, --timeout, --yes) matter; -i and --output always apply. */
  runsPlaybook?: boolean;
  /** The words the first positional argument takes (`certs check|renew|distribute`): help and shell completion. */
  subcommands?: readonly string[];
  /** The first positional argument names a playbook (completion offers playbooks/). */
  takesPlaybook?: boolean;
  /** Positional arguments allowed: [min, max]. Default [0, 0]. */
  positionals?: [number, number];
  /** Returns the exit code: 0 ok, 1 a task failed, 2 invalid input or usage. */
  run(ctx: CommandContext<ValuesOf<F>>): Promise<number>;
}

/** A command whose run() sees its own flags typed (`ctx.values.keep` is a string, `ctx.values.force` a boolean). */
export function defineCommand<const F extends Record<string, FlagSpec> = Record<never, FlagSpec>>(spec: CommandSpec<F>): CommandSpec {
  return spec as unknown as CommandSpec;
}

/** Bad usage or invalid input: printed as one message, exit code 2, no stack trace. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

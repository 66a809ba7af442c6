/** Global flags, shared by every command (node:util parseArgs shapes). */
import type { FlagSpec, GlobalFlags } from './context.js';
import { UsageError } from './context.js';

export const GLOBAL_FLAGS: Record<string, FlagSpec> = {
  inventory: { type: 'string', short: 'i', valueName: 'FILE', description: 'The inventory file' },
  limit: {
    type: 'string',
    valueName: 'LIST',
    description: 'Only these hosts: comma-separated host names or roles (control-plane, worker)',
  },
  concurrency: { type: 'string', valueName: 'N', description: 'Hosts worked on at once (default 20)' },
  output: { type: 'string', valueName: 'FORMAT', description: 'text (default) or json: one event per line on stdout' },
  'log-dir': { type: 'string', valueName: 'DIR', description: 'Where the per-host logs go (default .kubesmith/runs/<timestamp>/)' },
  yes: { type: 'boolean', short: 'y', description: 'Do not ask before destructive changes' },
  timeout: { type: 'string', valueName: 'SECONDS', description: 'Give up on a task on a host after this long' },
  help: { type: 'boolean', short: 'h', description: 'Show help' },
  version: { type: 'boolean', short: 'V', description: 'Show the version' },
};

/** The longest delay a Node timer can hold is 2^31-1 ms. */
export const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--${name} expects a whole number of at least 1, got "${value}"`);
  return Number(value);
}

/** Turn parsed global values into typed flags; bad values are usage errors. */
export function globalFlags(values: Record<string, unknown>): GlobalFlags {
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const output = str('output') ?? 'text';
  if (output !== 'text' && output !== 'json') throw new UsageError(`--output expects text or json, got "${output}"`);
  const flags: GlobalFlags = {
    concurrency: positiveInt('concurrency', str('concurrency')) ?? 20,
    output,
    yes: values.yes === true,
  };
  const inventory = str('inventory');
  if (inventory !== undefined) flags.inventory = inventory;
  const limit = str('limit');
  if (limit !== undefined) {
    flags.limit = limit
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (flags.limit.length === 0) throw new UsageError('--limit expects host names or roles, separated by commas');
  }
  const logDir = str('log-dir');
  if (logDir !== undefined) flags.logDir = logDir;
  const timeout = positiveInt('timeout', str('timeout'));
  if (timeout !== undefined && timeout > MAX_TIMEOUT_SECONDS) {
    // Node's timers hold at most 2^31-1 ms; a longer delay fires at once (TimeoutOverflowWarning), aborting every task.
    throw new UsageError(`--timeout expects at most ${MAX_TIMEOUT_SECONDS} seconds (about 24 days), got "${str('timeout')}"`);
  }
  if (timeout !== undefined) flags.timeoutSeconds = timeout;
  return flags;
}

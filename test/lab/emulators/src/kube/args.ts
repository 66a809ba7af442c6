// Minimal cobra-like flag parsing: --name value, --name=value, -x value, booleans, repeats.
import { ExitError } from './lab.js';

export interface Parsed {
  positional: string[];
  flags: Map<string, string[]>;
}

/** `booleans` lists flags that take no value (long names without dashes, or single letters). */
export function parseArgs(argv: string[], booleans: string[], aliases: Record<string, string> = {}): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  const add = (k: string, v: string) => flags.set(k, [...(flags.get(k) ?? []), v]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    const m = /^--?([^=]+)(?:=(.*))?$/.exec(a);
    if (!m || a === '-') {
      positional.push(a);
      continue;
    }
    const name = aliases[m[1]!] ?? m[1]!;
    if (m[2] !== undefined) add(name, m[2]);
    else if (booleans.includes(name)) add(name, 'true');
    else {
      const v = argv[i + 1];
      if (v === undefined) throw new ExitError(`error: flag needs an argument: ${a}`);
      add(name, v);
      i++;
    }
  }
  return { positional, flags };
}

export const flag = (p: Parsed, name: string): string | undefined => p.flags.get(name)?.at(-1);
export const flagAll = (p: Parsed, name: string): string[] =>
  (p.flags.get(name) ?? []).flatMap((v) => v.split(',')).filter((v) => v !== '');
export const bool = (p: Parsed, name: string): boolean => {
  const v = flag(p, name);
  return v !== undefined && v !== 'false';
};

/** Go duration ("24h0m0s", "2h", "90s", "0") → ms. */
export function parseDuration(text: string): number {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let consumed = '';
  for (const m of text.matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3600e3 : m[2] === 'm' ? n * 60e3 : m[2] === 's' ? n * 1e3 : n;
    consumed += m[0];
  }
  if (consumed !== text) throw new ExitError(`invalid duration "${text}"`);
  return total;
}

/** ms → Go duration string like "24h0m0s". */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m${s % 60}s`;
}

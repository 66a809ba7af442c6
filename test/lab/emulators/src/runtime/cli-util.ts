// Small pieces the runtime CLIs share: exit errors, Go-tabwriter-like columns, byte sizes, flag parsing.

/** Thrown to end a command with a message on stderr and an exit code. */
export class Exit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** crictl's fatal errors: `FATA[0000] <message>`, exit 1. */
export const crictlFatal = (message: string): Exit => new Exit(1, `FATA[0000] ${message}`);

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Like Go's tabwriter with padding 1: every cell followed by \t is padded to its column's width + 1. */
export function tabulate(rows: string[][], options: { trailingTab?: boolean; padding?: number; minWidth?: number } = {}): string {
  const pad = options.padding ?? 1;
  const min = options.minWidth ?? 0;
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  return (
    rows
      .map((row) =>
        row
          .map((cell, i) => {
            const last = i === row.length - 1;
            return last && !options.trailingTab ? cell : cell.padEnd(Math.max(widths[i]! + pad, min));
          })
          .join(''),
      )
      .join('\n') + '\n'
  );
}

/** containerd's progress.Bytes: 2627 -> "2.6 KiB". */
export function ctrBytes(size: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = size;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${value.toFixed(1)} ${units[i]}`;
}

/** docker/crictl (go-units HumanSize, decimal, 4 significant digits): 2627 -> "2.63kB". */
export function humanSize(size: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = size;
  let i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return `${Number(value.toPrecision(4))}${units[i]}`;
}

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
}

/**
 * Parses argv against known flags: `valued` take a value (--flag v or --flag=v), others are booleans.
 * Aliases map short to long names. Unknown flags raise an Exit with the tool's wording.
 */
export function parseArgs(
  argv: string[],
  spec: { valued?: string[]; bool?: string[]; alias?: Record<string, string> },
  unknown: (flag: string) => Exit,
): ParsedArgs {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let name = (eq === -1 ? arg : arg.slice(0, eq)).replace(/^--?/, '');
    name = spec.alias?.[name] ?? name;
    if (spec.valued?.includes(name)) {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined) throw unknown(arg);
      flags.set(name, value);
    } else if (spec.bool?.includes(name)) {
      flags.set(name, eq === -1 ? true : arg.slice(eq + 1));
    } else {
      throw unknown(arg);
    }
  }
  return { positional, flags };
}

export function flagString(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags.get(name);
  return typeof value === 'string' ? value : undefined;
}

export function flagOn(args: ParsedArgs, name: string): boolean {
  const value = args.flags.get(name);
  return value === true || value === 'true';
}

/** Where the UI writes, and how: injected by the CLI (the only place that knows about process). */
export interface TextSink {
  write(text: string): unknown;
}

export interface Output {
  stdout: TextSink;
  stderr: TextSink;
  /** stdout is a terminal: progress may redraw. */
  isTTY: boolean;
  /** false with NO_COLOR or when not a TTY. */
  color: boolean;
}

const CODES = { red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39], dim: [2, 22], bold: [1, 22] } as const;
export type Color = keyof typeof CODES;

/** A painter: wraps text in ANSI codes only when color is on. */
export function painter(color: boolean): (c: Color, text: string) => string {
  return (c, text) => (color ? `\u001b[${CODES[c][0]}m${text}\u001b[${CODES[c][1]}m` : text);
}

export function duration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

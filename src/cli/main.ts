/**
 * The entry point bin/kubesmith calls: the ONLY place that reads process.argv/env, touches process streams,
 * handles Ctrl-C and sets process.exitCode.
 */
import type { Output } from '../ui/output.js';
import { runCli, type CliIo } from './cli.js';

/** Colors only on a terminal, and never when NO_COLOR is set to anything non-empty (no-color.org). */
export function wantsColor(isTTY: boolean, env: Readonly<Record<string, string | undefined>>): boolean {
  return isTTY && !(env.NO_COLOR !== undefined && env.NO_COLOR !== '');
}

function processOutput(env: NodeJS.ProcessEnv): Output {
  const isTTY = process.stdout.isTTY === true && process.stderr.isTTY === true;
  return { stdout: process.stdout, stderr: process.stderr, isTTY, color: wantsColor(isTTY, env) };
}

export async function main(argv: string[] = process.argv.slice(2), io: Partial<CliIo> = {}): Promise<number> {
  const env = io.env ?? process.env;
  const out = io.out ?? processOutput(process.env);
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    out.stderr.write('\nkubesmith: stopping after the current step (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  if (!io.signal) process.on('SIGINT', onSigint);
  let code: number;
  try {
    code = await runCli(argv, { ...io, out, env, cwd: io.cwd ?? process.cwd(), signal: io.signal ?? controller.signal });
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (controller.signal.aborted) code = 130; // interrupted: the conventional 128 + SIGINT
  process.exitCode = code;
  return code;
}

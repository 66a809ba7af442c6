/** A transport that runs commands in a real local `sh` (optionally in a scratch directory), for tests of script builders. */
import { spawnSync } from 'node:child_process';
import type { Command } from '../../../src/transport/command.js';
import type { ExecOptions, ExecResult, Transport } from '../../../src/transport/types.js';

export function localShell(cwd?: string): Transport & { sent: string[] } {
  const sent: string[] = [];
  return {
    host: 'local',
    sent,
    async exec(cmd: Command, opts: ExecOptions = {}): Promise<ExecResult> {
      const text = Array.isArray(cmd) ? cmd.join(' ') : (cmd as { text: string }).text;
      sent.push(text);
      const r = spawnSync('sh', ['-c', text], { encoding: 'utf8', ...(cwd ? { cwd } : {}) });
      if (r.status !== 0 && !opts.allowFailure) throw new Error(`exit ${r.status}`);
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, durationMs: 1 };
    },
    readFile: async () => null,
    writeFile: async () => {},
    upload: async () => ({ transferred: false, bytes: 0, sha256: '' }),
    close: async () => {},
  };
}

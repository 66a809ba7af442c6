import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionsFactory } from '../../../src/cli/context.js';
import { main } from '../../../src/cli/main.js';
import { RecordingTransport } from '../../../src/transport/recording.js';
import type { Output } from '../../../src/ui/output.js';

export const DEBIAN_FACTS = readFileSync(join(import.meta.dirname, '..', 'engine', 'fixtures', 'facts-debian12.txt'), 'utf8');

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ks-cli-'));
}

export const GOOD_INVENTORY = `apiVersion: kubesmith.io/v1alpha1
kind: Cluster
metadata:
  name: demo
spec:
  hosts:
    - name: cp1
      address: 10.199.0.10
      roles: [control-plane]
    - name: w1
      address: 10.199.0.11
      roles: [worker]
`;

export function writeInventory(dir: string, text = GOOD_INVENTORY, name = 'inv.yaml'): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

export function writePlaybook(dir: string, steps: string[], name = 'test.yaml'): string {
  const path = join(dir, name);
  writeFileSync(path, ['phases:', '  - phase: Test', '    steps:', ...steps.map((s) => `      - ${s}`)].join('\n') + '\n');
  return path;
}

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
  transports: Map<string, RecordingTransport>;
}

/** Run main() with captured output and recording transports (set up by `prepare` per host). */
export async function cli(
  argv: string[],
  opts: { cwd?: string; isTTY?: boolean; env?: Record<string, string>; prepare?: (t: RecordingTransport) => void } = {},
): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const out: Output = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    isTTY: opts.isTTY ?? false,
    color: false,
  };
  const transports = new Map<string, RecordingTransport>();
  const connections: ConnectionsFactory = (_inv, poolOpts) => ({
    async get(host) {
      let t = transports.get(host.name);
      if (!t) {
        t = new RecordingTransport(host.name);
        opts.prepare?.(t);
        transports.set(host.name, t);
      }
      const transport = t;
      // Feed the run log like the SSH pool does.
      return new Proxy(transport, {
        get(target, prop, receiver) {
          if (prop !== 'exec') return Reflect.get(target, prop, receiver);
          return async (cmd: Parameters<RecordingTransport['exec']>[0], o: Parameters<RecordingTransport['exec']>[1]) => {
            const r = await target.exec(cmd, { ...o, allowFailure: true });
            poolOpts.onCommand({ host: host.name, command: target.commands.at(-1) ?? '', ...r });
            if (r.code !== 0 && !o?.allowFailure) return target.exec(cmd, o);
            return r;
          };
        },
      });
    },
    async closeAll() {},
  });
  const code = await main(argv, {
    out,
    env: opts.env ?? {},
    cwd: opts.cwd ?? tempDir(),
    signal: new AbortController().signal,
    connections,
  });
  process.exitCode = undefined;
  return { code, stdout, stderr, transports };
}

/** Help text: the overview and one page per command, each with examples. */
import type { CommandSpec, FlagSpec } from './context.js';
import { GLOBAL_FLAGS } from './flags.js';

const RUN_FLAGS = ['limit', 'concurrency', 'log-dir', 'timeout', 'yes'];
const ALWAYS = ['inventory', 'output', 'help'];

function flagLine(name: string, f: FlagSpec): string {
  const left = `${f.short ? `-${f.short}, ` : '    '}--${name}${f.valueName ? ` ${f.valueName}` : ''}${f.multiple ? '...' : ''}`;
  return `  ${left.padEnd(30)} ${f.description}`;
}

export function overviewHelp(commands: readonly CommandSpec[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'kubesmith — one inventory file to a working kubeadm Kubernetes cluster over SSH',
    '',
    'Usage: kubesmith COMMAND [flags]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global flags:',
    ...Object.entries(GLOBAL_FLAGS).map(([n, f]) => flagLine(n, f)),
    '',
    'Examples:',
    '  kubesmith init --name demo --control-plane 192.168.1.15 --worker 192.168.1.21',
    '  kubesmith validate -i inventory.yaml',
    '  kubesmith plan -i inventory.yaml',
    '  kubesmith apply -i inventory.yaml',
    '',
    'Exit codes: 0 success, 1 a task failed, 2 invalid input or usage.',
    "Run `kubesmith COMMAND --help` for a command's flags and examples.",
    '',
  ].join('\n');
}

export function commandHelp(c: CommandSpec): string {
  const globals = Object.entries(GLOBAL_FLAGS).filter(([n]) => ALWAYS.includes(n) || (c.runsPlaybook && RUN_FLAGS.includes(n)));
  return [
    `Usage: kubesmith ${c.usage}`,
    '',
    c.summary + '.',
    ...(c.description ? ['', c.description] : []),
    ...(c.flags ? ['', 'Flags:', ...Object.entries(c.flags).map(([n, f]) => flagLine(n, f))] : []),
    '',
    'Global flags:',
    ...globals.map(([n, f]) => flagLine(n, f)),
    '',
    'Examples:',
    ...c.examples.map((e) => `  ${e}`),
    '',
  ].join('\n');
}

/**
 * `kubesmith completion bash|zsh|fish`: shell completion generated from the command table (src/cli/commands.ts), so a new command or
 * flag completes without touching this file. Playbook names come from the installed playbooks/.
 */
import { readdirSync } from 'node:fs';
import { playbooksDir } from '../engine/paths.js';
import { quote } from '../transport/command.js';
import { UsageError, type CommandSpec, type FlagSpec } from './context.js';
import { defineCommand } from './context.js';
import { GLOBAL_FLAGS } from './flags.js';

const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

/** Flags whose value is a path: the shell completes file names there. */
const PATH_VALUES = new Set(['FILE', 'PATH', 'DIR', 'ARCHIVE', 'KEY']);

function flagsOf(c: CommandSpec): Array<[string, FlagSpec]> {
  return [...Object.entries(c.flags ?? {}), ...Object.entries(GLOBAL_FLAGS)];
}

function playbookNames(): string[] {
  try {
    return readdirSync(playbooksDir())
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -'.yaml'.length))
      .sort();
  } catch {
    return [];
  }
}

/** The words a command's first argument takes. */
export function firstWords(c: CommandSpec): string[] {
  return [...(c.subcommands ?? []), ...(c.takesPlaybook ? playbookNames() : [])];
}

const words = (list: readonly string[]) => quote(list.join(' '));

function valueFlags(list: ReadonlyArray<[string, FlagSpec]>, paths: boolean): string[] {
  return [...new Map(list).entries()]
    .filter(([, f]) => f.type === 'string' && PATH_VALUES.has(f.valueName ?? '') === paths)
    .flatMap(([n, f]) => [`--${n}`, ...(f.short ? [`-${f.short}`] : [])]);
}

function bash(commands: readonly CommandSpec[]): string {
  const all = commands.flatMap((c) => flagsOf(c));
  const cases = commands.map((c) => {
    const flags = flagsOf(c).flatMap(([n, f]) => [`--${n}`, ...(f.short ? [`-${f.short}`] : [])]);
    return `    ${c.name}) flags=${words(flags)}; first=${words(firstWords(c))} ;;`;
  });
  return `# kubesmith completion for bash: source <(kubesmith completion bash)
_kubesmith() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local cmd="" nargs=0 i w flags="" first=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in
      -*) ;;
      *) case "\${COMP_WORDS[i-1]}" in ${valueFlags(all, true).concat(valueFlags(all, false)).join('|') || '--'}) continue ;; esac
         if [[ -z "$cmd" ]]; then cmd="$w"; else nargs=$((nargs + 1)); fi ;;
    esac
  done
  case "$prev" in
    ${valueFlags(all, true).join('|') || '--'}) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    ${valueFlags(all, false).join('|') || '--'}) COMPREPLY=(); return ;;
  esac
  if [[ -z "$cmd" ]]; then
    COMPREPLY=($(compgen -W ${words(commands.map((c) => c.name))} -- "$cur")); return
  fi
  case "$cmd" in
${cases.join('\n')}
    *) return ;;
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  elif [[ $nargs -eq 0 && -n "$first" ]]; then COMPREPLY=($(compgen -W "$first" -- "$cur"))
  else COMPREPLY=($(compgen -f -- "$cur")); fi
}
complete -F _kubesmith kubesmith
`;
}

function zsh(commands: readonly CommandSpec[]): string {
  return `#compdef kubesmith
# kubesmith completion for zsh: source <(kubesmith completion zsh)  (uses zsh's bash completion layer)
autoload -U +X bashcompinit && bashcompinit
${bash(commands)}`;
}

/** fish quotes with single quotes; a single quote or backslash inside is escaped with a backslash. */
const fishQuote = (s: string) => `'${s.replace(/[\\']/g, (m) => `\\${m}`)}'`;

function fish(commands: readonly CommandSpec[]): string {
  const lines = ['# kubesmith completion for fish: kubesmith completion fish | source', 'complete -c kubesmith -f'];
  for (const c of commands) {
    lines.push(`complete -c kubesmith -n __fish_use_subcommand -a ${c.name} -d ${fishQuote(c.summary)}`);
    const first = firstWords(c);
    if (first.length) lines.push(`complete -c kubesmith -n '__fish_seen_subcommand_from ${c.name}' -a ${fishQuote(first.join(' '))}`);
    for (const [n, f] of flagsOf(c)) {
      const value = f.type === 'string' ? (PATH_VALUES.has(f.valueName ?? '') ? ' -r -F' : ' -r') : '';
      const short = f.short ? ` -s ${f.short}` : '';
      lines.push(`complete -c kubesmith -n '__fish_seen_subcommand_from ${c.name}' -l ${n}${short}${value} -d ${fishQuote(f.description)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function completionScript(shell: Shell, commands: readonly CommandSpec[]): string {
  return shell === 'bash' ? bash(commands) : shell === 'zsh' ? zsh(commands) : fish(commands);
}

export const completionCommand = defineCommand({
  name: 'completion',
  summary: 'Print a shell completion script (bash, zsh or fish)',
  usage: 'completion bash|zsh|fish',
  examples: [
    'kubesmith completion bash > /etc/bash_completion.d/kubesmith',
    'kubesmith completion fish > ~/.config/fish/completions/kubesmith.fish',
  ],
  subcommands: SHELLS,
  positionals: [1, 1],
  async run(ctx) {
    const shell = ctx.positionals[0] as Shell;
    if (!SHELLS.includes(shell)) throw new UsageError(`completion expects bash, zsh or fish, got "${shell}"`, 'completion');
    // The command table imports this command: read it when run, not when this module loads.
    const { commands } = await import('./commands.js');
    ctx.out.stdout.write(completionScript(shell, commands));
    return 0;
  },
});

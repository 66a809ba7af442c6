import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { completionScript } from '../../../src/cli/completion.js';
import { commands } from '../../../src/cli/commands.js';

/** What the generated bash function offers for the words typed so far (the last one is being completed). */
function bashComplete(words: string[]): string[] {
  const script = `${completionScript('bash', commands)}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _kubesmith; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', cwd: '/' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

describe('shell completion', () => {
  it('bash: the script parses and offers every command', () => {
    expect(spawnSync('bash', ['-n'], { input: completionScript('bash', commands) }).status).toBe(0);
    expect(bashComplete(['kubesmith', '']).sort()).toEqual(commands.map((c) => c.name).sort());
    expect(bashComplete(['kubesmith', 'ce'])).toEqual(['certs']);
  });

  it('bash: subcommands, playbooks and flags of the command being typed', () => {
    expect(bashComplete(['kubesmith', 'certs', ''])).toEqual(['check', 'renew', 'distribute', 'rotate-ca']);
    expect(bashComplete(['kubesmith', 'plan', '-i', 'x.yaml', ''])).toContain('reset');
    expect(bashComplete(['kubesmith', 'etcd', 'backup', '--ke'])).toEqual(['--keep']);
    expect(bashComplete(['kubesmith', 'certs', 'rotate-ca', '--c'])).toContain('--ca');
    // the value of --limit is not a subcommand position
    expect(bashComplete(['kubesmith', 'certs', '--limit', 'cp1', ''])).toEqual(['check', 'renew', 'distribute', 'rotate-ca']);
    expect(bashComplete(['kubesmith', 'apply', '--concurrency', ''])).toEqual([]);
  });

  it('zsh uses the bash layer; fish lists each command, its subcommands and flags', () => {
    expect(completionScript('zsh', commands)).toMatch(/^#compdef kubesmith\n[\s\S]*bashcompinit[\s\S]*complete -F _kubesmith kubesmith/);
    const fish = completionScript('fish', commands);
    for (const c of commands) expect(fish).toContain(`-n __fish_use_subcommand -a ${c.name} -d `);
    expect(fish).toContain("-n '__fish_seen_subcommand_from certs' -a 'check renew distribute rotate-ca'");
    expect(fish).toContain("-n '__fish_seen_subcommand_from etcd' -l keep -r");
    expect(fish).toContain('-l inventory -s i -r -F');
  });
});

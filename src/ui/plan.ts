/** The plan printed by `kubesmith plan`: per host, each task that would change (with diffs), or "no changes". */
import type { Plan } from '../engine/types.js';
import { painter } from './output.js';

function colorDiff(diff: string, paint: ReturnType<typeof painter>): string[] {
  return diff
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => {
      const text = `      ${l}`;
      if (l.startsWith('+++') || l.startsWith('---')) return paint('bold', text);
      if (l.startsWith('+')) return paint('green', text);
      if (l.startsWith('-')) return paint('red', text);
      if (l.startsWith('@@')) return paint('cyan', text);
      return text;
    });
}

export function formatPlan(plan: Plan, opts: { color: boolean }): string {
  const paint = painter(opts.color);
  const lines = [paint('bold', `Plan for ${plan.playbook} (nothing was changed on any host)`)];
  for (const host of plan.hosts) {
    lines.push('', paint('bold', `${host.host}:`));
    if (host.tasks.length === 0) {
      lines.push(paint('dim', '  no changes'));
      continue;
    }
    for (const t of host.tasks) {
      const mark = t.status === 'change' ? paint('yellow', '~') : t.status === 'unknown' ? paint('cyan', '?') : paint('red', '!');
      lines.push(`  ${mark} ${t.title} ${paint('dim', `[${t.task}]`)}`);
      if (t.status === 'unknown') lines.push(paint('cyan', `    unknown until earlier steps run: ${t.reason ?? ''}`));
      if (t.status === 'failed') lines.push(paint('red', `    check failed: ${t.reason ?? ''}`));
      for (const c of t.changes) {
        lines.push(`    - ${c.summary}`);
        if (c.diff) lines.push(...colorDiff(c.diff, paint));
      }
    }
  }
  const changing = plan.hosts.filter((h) => h.tasks.some((t) => t.status === 'change')).length;
  lines.push('', `${changing} of ${plan.hosts.length} host${plan.hosts.length === 1 ? '' : 's'} would change.`);
  return lines.join('\n') + '\n';
}

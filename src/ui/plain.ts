/** Plain lines for CI and pipes: one line per step start and end, one per failed host, no redraws. */
import type { RunListener } from '../engine/runner.js';
import { duration, painter, type Output } from './output.js';
import { StepProgress } from './progress.js';

const MAX_NAMES = 10;

function names(list: string[]): string {
  return list.length <= MAX_NAMES ? list.join(', ') : `${list.slice(0, MAX_NAMES).join(', ')} (+${list.length - MAX_NAMES} more)`;
}

export function plainRenderer(out: Output): RunListener {
  const paint = painter(out.color);
  const line = (text: string) => out.stderr.write(text + '\n');
  let dryRun = false;
  let progress: StepProgress | undefined;
  let changed: string[] = [];
  let order: string[] = [];
  return (e) => {
    switch (e.type) {
      case 'run.start':
        dryRun = e.dryRun;
        line(
          paint('bold', `${dryRun ? 'Planning' : 'Running'} ${e.playbook} on ${e.hosts.length} host${e.hosts.length === 1 ? '' : 's'}`) +
            (e.logDir ? paint('dim', ` (logs: ${e.logDir})`) : ''),
        );
        break;
      case 'phase.start':
        line(paint('cyan', `== ${e.phase}`));
        break;
      case 'task.start':
        progress = new StepProgress(e.title, dryRun);
        progress.total = e.hosts.length;
        changed = [];
        order = e.hosts;
        line(`-> ${e.title}` + (e.hosts.length === 0 ? paint('dim', ' (no hosts)') : ''));
        break;
      case 'task.host':
        progress?.add(e);
        if (e.outcome === 'failed' || e.outcome === 'unreachable') line(paint('red', `   ${e.host} ${e.outcome}: ${e.error ?? ''}`));
        else if (e.outcome === 'changed') changed.push(e.host);
        break;
      case 'task.end':
        if (progress && progress.total > 0) {
          const verb = dryRun ? 'would change' : 'changed';
          const sorted = [...changed].sort((a, b) => order.indexOf(a) - order.indexOf(b));
          if (sorted.length) line(paint('yellow', `   ${verb}: ${names(sorted)}`));
          line(paint('dim', `   ${progress.summary()} (${duration(e.durationMs)})`));
        }
        break;
      case 'log':
        line(`${e.host ? `${e.host}: ` : ''}${e.level}: ${e.message}`);
        break;
      case 'run.end':
        if (e.stoppedBy) line(paint('red', `Stopped: ${e.stoppedBy.task} failed on ${e.stoppedBy.host} (a critical step)`));
        break;
      default:
        break;
    }
  };
}

/**
 * listr2 on a TTY: one listr task per playbook step; per-host detail collapsed into one line
 * ("12/20 hosts · 3 changed · 1 failed") so 100 hosts stay readable. The runner drives; listr only shows.
 * exitOnError is false: a failed step shows red, the CLI sets the exit code from the run result.
 */
import { Listr, ListrLogger, ProcessOutput, type ListrTaskWrapper } from 'listr2';
import type { RunListener } from '../engine/runner.js';
import type { StepInfo } from '../engine/types.js';
import type { Output, TextSink } from './output.js';
import { StepProgress } from './progress.js';

interface StepView {
  info: StepInfo;
  progress?: StepProgress;
  finished: Promise<void>;
  finish(): void;
  notRun?: string;
  redraw?(): void;
}

function defer(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** A write stream facade over a TextSink, for listr's ProcessOutput. */
function streamOf(sink: TextSink, isTTY: boolean): NodeJS.WriteStream {
  const real = sink as Partial<NodeJS.WriteStream>;
  if (typeof real.on === 'function' && typeof real.columns !== 'undefined') return sink as NodeJS.WriteStream;
  return Object.assign(Object.create(null) as NodeJS.WriteStream, {
    write: (chunk: string | Uint8Array) => {
      sink.write(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    },
    isTTY,
    columns: 100,
    rows: 40,
    on: () => undefined,
    once: () => undefined,
    removeListener: () => undefined,
  });
}

export interface ListrUi {
  listener: RunListener;
  /** Resolves when listr has drawn its last frame. */
  done(): Promise<void>;
}

/** One listr task per step: it waits for the step to end, then shows it done, skipped (not run) or failed. */
async function runStep(s: StepView, task: ListrTaskWrapper<unknown, never, never>): Promise<void> {
  const title = `${s.info.title}`;
  s.redraw = () => {
    task.title = s.progress ? `${title} — ${s.progress.summary()}` : title;
  };
  s.redraw();
  await s.finished;
  s.redraw();
  if (s.notRun !== undefined) {
    task.skip(`${title} — ${s.notRun}`);
    return;
  }
  if (s.progress && s.progress.counts.failed > 0) {
    const first = s.progress.failures[0]!;
    throw new Error(`${title} — ${s.progress.summary()} (first: ${first.host}: ${first.error})`);
  }
}

/** Draw every step of the run on stderr (live on a terminal, line by line otherwise) until the last one ends. */
function drawSteps(out: Output, steps: StepView[]): Promise<unknown> {
  const stream = streamOf(out.stderr, out.isTTY);
  const logger = new ListrLogger({ useIcons: true, processOutput: new ProcessOutput(stream, stream) });
  const list = new Listr(
    steps.map((s) => ({
      title: s.info.title,
      task: (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) => runStep(s, task),
    })),
    {
      concurrent: false,
      exitOnError: false,
      registerSignalListeners: false,
      renderer: out.isTTY ? 'default' : 'simple',
      // Without color: an empty per-level color map (colorette also honours NO_COLOR itself).
      rendererOptions: { collapseSubtasks: true, logger, ...(out.color ? {} : { color: {} }) },
      collectErrors: false,
    } as never,
  );
  return list.run().catch(() => undefined);
}

export function listrRenderer(out: Output): ListrUi {
  const steps = new Map<number, StepView>();
  let running: Promise<unknown> = Promise.resolve();
  let dryRun = false;
  let stopReason = '';

  const view = (step: number | undefined) => (step === undefined ? undefined : steps.get(step));

  const listener: RunListener = (e) => {
    switch (e.type) {
      case 'run.start': {
        dryRun = e.dryRun;
        for (const info of e.steps ?? []) {
          const d = defer();
          steps.set(info.step, { info, finished: d.promise, finish: d.resolve });
        }
        running = drawSteps(out, [...steps.values()]);
        break;
      }
      case 'task.start': {
        const s = view(e.step);
        if (!s) break;
        s.progress = new StepProgress(e.title, dryRun);
        s.progress.total = e.hosts.length;
        s.redraw?.();
        break;
      }
      case 'task.host': {
        const s = view(e.step);
        s?.progress?.add(e);
        s?.redraw?.();
        break;
      }
      case 'task.end':
        view(e.step)?.finish();
        break;
      case 'run.end':
        stopReason = e.stoppedBy ? `not run: stopped after ${e.stoppedBy.task} failed on ${e.stoppedBy.host}` : 'not run';
        for (const s of steps.values()) {
          if (!s.progress) {
            s.notRun = stopReason;
            s.finish();
          }
        }
        break;
      default:
        break;
    }
  };

  return { listener, done: () => running.then(() => undefined) };
}

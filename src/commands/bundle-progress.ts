/** Progress of bundle downloads/pushes for the CLI: JSON lines with --output json, else plain lines on stderr. */
import type { CommandContext } from '../cli/context.js';
import type { BundleEvent } from '../bundle/create.js';

export interface Progress {
  event(e: BundleEvent): void;
  line(text: string, data?: Record<string, unknown>): void;
  done(): void;
}

const mib = (n: number) => (n / 1048576).toFixed(1);

export function progress(ctx: CommandContext, intervalMs = 2000): Progress {
  const json = ctx.flags.output === 'json';
  const started = Date.now();
  let bytes = 0;
  let lastBytes = 0;
  let lastAt = started;
  const tick = () => {
    const now = Date.now();
    const rate = ((bytes - lastBytes) / Math.max(1, now - lastAt)) * 1000;
    if (bytes === lastBytes) return;
    if (json) ctx.out.stdout.write(JSON.stringify({ type: 'bundle.bytes', bytes, bytesPerSecond: Math.round(rate) }) + '\n');
    else ctx.out.stderr.write(`  … ${mib(bytes)} MiB so far (${mib(rate)} MiB/s)\n`);
    lastBytes = bytes;
    lastAt = now;
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    event(e) {
      if (e.type === 'bytes') {
        bytes += e.n;
        return;
      }
      const { type, ...rest } = e;
      if (json) ctx.out.stdout.write(JSON.stringify({ type: `bundle.${type}`, ...rest }) + '\n');
      else ctx.out.stderr.write(e.type === 'image' ? `image ${e.ref}: ${e.status}\n` : `file ${e.path}: ${e.status}\n`);
    },
    line(text, data = {}) {
      if (json) ctx.out.stdout.write(JSON.stringify({ type: 'bundle.info', message: text, ...data }) + '\n');
      else ctx.out.stderr.write(text + '\n');
    },
    done() {
      clearInterval(timer);
      const s = (Date.now() - started) / 1000;
      this.line(`moved ${mib(bytes)} MiB in ${s.toFixed(1)}s`, { bytes, seconds: s });
    },
  };
}

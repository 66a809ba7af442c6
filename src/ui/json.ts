/** --output json: every RunEvent as one JSON line on stdout, and nothing else on stdout. */
import type { RunListener } from '../engine/runner.js';
import type { Output } from './output.js';

export function jsonRenderer(out: Output): RunListener {
  return (e) => out.stdout.write(JSON.stringify(e) + '\n');
}

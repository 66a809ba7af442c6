import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** vitest global setup: the task registry is generated from src/tasks before any test imports it. */
export default function setup(): void {
  execFileSync(process.execPath, [join(import.meta.dirname, '..', '..', 'scripts', 'task-registry.mjs')], { stdio: 'inherit' });
}

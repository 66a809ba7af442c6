/**
 * The generated registry (scripts/task-registry.mjs) holds exactly the tasks the modules under src/tasks export:
 * the test imports every module and finds its Task-shaped exports, so a task written in a shape the generator does
 * not recognise (a factory without `: Task`) fails here instead of being silently left out of every playbook.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Task } from '../../../src/engine/types.js';
import { allTasks } from '../../../src/tasks/index.js';

const root = join(import.meta.dirname, '..', '..', '..');
const tasksDir = join(root, 'src', 'tasks');

const isTask = (v: unknown): v is Task =>
  typeof v === 'object' && v !== null && typeof (v as Task).id === 'string' && typeof (v as Task).check === 'function';

async function exportedTasks(): Promise<Task[]> {
  const found: Task[] = [];
  for (const component of readdirSync(tasksDir, { withFileTypes: true })) {
    if (!component.isDirectory() || component.name === 'common') continue;
    for (const file of readdirSync(join(tasksDir, component.name)).filter((f) => f.endsWith('.ts'))) {
      const mod = (await import(join(tasksDir, component.name, file))) as Record<string, unknown>;
      found.push(...Object.values(mod).filter(isTask));
    }
  }
  return [...new Set(found)];
}

describe('the task registry', () => {
  it('holds every task a module under src/tasks exports, and nothing else', async () => {
    const ids = (ts: Task[]) => ts.map((t) => t.id).sort();
    expect(ids(allTasks)).toEqual(ids(await exportedTasks()));
  });
  it('has unique ids', () => {
    expect(new Set(allTasks.map((t) => t.id)).size).toBe(allTasks.length);
  });
  it('is current with the sources (the generator in --check mode)', () => {
    expect(() => execFileSync(process.execPath, [join(root, 'scripts', 'task-registry.mjs'), '--check'], { stdio: 'pipe' })).not.toThrow();
  });
});

import type { Task } from './types.js';

/** Tasks by id. Playbooks refer to tasks by these ids only. */
export class TaskRegistry {
  readonly #tasks = new Map<string, Task>();

  constructor(tasks: readonly Task[]) {
    for (const task of tasks) {
      if (this.#tasks.has(task.id)) throw new Error(`two tasks share the id "${task.id}"`);
      this.#tasks.set(task.id, task);
    }
  }

  get(id: string): Task | undefined {
    return this.#tasks.get(id);
  }

  require(id: string): Task {
    const task = this.#tasks.get(id);
    if (!task) throw new Error(`unknown task "${id}"; known tasks: ${this.ids().join(', ')}`);
    return task;
  }

  has(id: string): boolean {
    return this.#tasks.has(id);
  }

  ids(): string[] {
    return [...this.#tasks.keys()].sort();
  }
}

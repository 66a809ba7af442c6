/**
 * The task registry: every task kubesmith knows. A task is found by being a task export of a file under
 * src/tasks/<component>/ (`export const x = defineTask(…)` or `export const x: Task = …`): scripts/task-registry.mjs
 * lists them into registry.generated.ts at build time, so adding a task edits no list.
 */
export { allTasks } from './registry.generated.js';

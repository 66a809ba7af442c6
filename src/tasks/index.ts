/**
 * The task registry: every task kubesmith knows, aggregated from one array per component.
 * A component folder exports `export const <component>Tasks: Task[]`; add one import and one spread here.
 */
import type { Task } from '../engine/types.js';
import { factsTasks } from './facts/index.js';

export const allTasks: Task[] = [
  ...factsTasks,
];

import type { Task } from '../../engine/types.js';
import { workerJoin } from './join.js';

export const workerTasks: Task[] = [workerJoin];

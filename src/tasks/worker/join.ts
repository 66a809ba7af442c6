import { joinTask } from '../common/join.js';
import type { Task } from '../../engine/types.js';

export const workerJoin: Task = joinTask('worker.join', 'Workers | Join workers with a fresh token', false);

import type { Task } from '../../engine/types.js';
import { resetBackup } from './backup.js';
import { resetDrain } from './drain.js';
import { resetNode } from './node.js';

export const resetTasks: Task[] = [resetBackup, resetDrain, resetNode];

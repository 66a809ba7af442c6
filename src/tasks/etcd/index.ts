import type { Task } from '../../engine/types.js';
import { etcdBackup } from './backup.js';

export const etcdTasks: Task[] = [etcdBackup];

import type { Task } from '../../engine/types.js';
import { clusterWaitReady } from './wait-ready.js';

export const clusterTasks: Task[] = [clusterWaitReady];

import type { Task } from '../../engine/types.js';
import { nodeEtcdRemove } from './etcd-remove.js';
import { nodeWaitReady } from './wait-ready.js';

export const nodeTasks: Task[] = [nodeEtcdRemove, nodeWaitReady];

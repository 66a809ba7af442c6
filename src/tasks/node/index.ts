import type { Task } from '../../engine/types.js';
import { nodeEtcdRemove } from './etcd-remove.js';
import { nodeMetadata } from './metadata.js';
import { nodeKubeletConfig } from './kubelet-config.js';
import { nodeWaitReady } from './wait-ready.js';

export const nodeTasks: Task[] = [nodeEtcdRemove, nodeWaitReady, nodeMetadata, nodeKubeletConfig];

import type { Task } from '../../engine/types.js';
import { controlplaneInit } from './init.js';
import { controlplaneKubeconfig } from './kubeconfig.js';
import { controlplaneJoin } from './join.js';

export const controlplaneTasks: Task[] = [controlplaneInit, controlplaneKubeconfig, controlplaneJoin];

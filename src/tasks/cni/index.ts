import type { Task } from '../../engine/types.js';
import { cniFlannel } from './flannel.js';
import { cniCilium } from './cilium.js';

export const cniTasks: Task[] = [cniFlannel, cniCilium];

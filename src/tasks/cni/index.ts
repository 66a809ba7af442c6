import type { Task } from '../../engine/types.js';
import { cniFlannel } from './flannel.js';
import { cniCilium } from './cilium.js';
import { cniImagesTask } from './images.js';

export const cniTasks: Task[] = [cniImagesTask, cniFlannel, cniCilium];

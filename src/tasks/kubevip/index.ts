import type { Task } from '../../engine/types.js';
import { kubevipManifest } from './manifest.js';

export const kubevipTasks: Task[] = [kubevipManifest];

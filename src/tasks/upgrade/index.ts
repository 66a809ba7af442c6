import type { Task } from '../../engine/types.js';
import { upgradeBackup } from './backup.js';
import { upgradeControlPlane } from './control-plane.js';
import { upgradeWorkers } from './workers.js';

export const upgradeTasks: Task[] = [upgradeBackup, upgradeControlPlane, upgradeWorkers];

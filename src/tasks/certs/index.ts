import type { Task } from '../../engine/types.js';
import { certsBackup } from './backup.js';
import { certsDistribute } from './distribute.js';
import { certsKubeletBootstrap } from './kubelet-bootstrap.js';
import { certsPreflight } from './preflight.js';
import { certsRenew } from './renew.js';

export const certsTasks: Task[] = [certsPreflight, certsBackup, certsRenew, certsDistribute, certsKubeletBootstrap];

import type { Task } from '../../engine/types.js';
import { kubernetesRepo } from './repo.js';
import { kubernetesPackagesTask } from './packages.js';

export const kubernetesTasks: Task[] = [kubernetesRepo, kubernetesPackagesTask];

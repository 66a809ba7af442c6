/**
 * The task registry: every task kubesmith knows, aggregated from one array per component.
 * A component folder exports `export const <component>Tasks: Task[]`; add one import and one spread here.
 */
import type { Task } from '../engine/types.js';
import { factsTasks } from './facts/index.js';
import { preflightTasks } from './preflight/index.js';
import { hostprepTasks } from './hostprep/index.js';
import { runtimeTasks } from './runtime/index.js';
import { kubernetesTasks } from './kubernetes/index.js';
import { kubevipTasks } from './kubevip/index.js';
import { controlplaneTasks } from './controlplane/index.js';
import { workerTasks } from './worker/index.js';
import { cniTasks } from './cni/index.js';
import { clusterTasks } from './cluster/index.js';
import { offlineTasks } from './offline/index.js';
import { certsTasks } from './certs/index.js';
import { etcdTasks } from './etcd/index.js';
import { resetTasks } from './reset/index.js';
import { recoverTasks } from './recover/index.js';
import { nodeTasks } from './node/index.js';
import { upgradeTasks } from './upgrade/index.js';

export const allTasks: Task[] = [
  ...factsTasks,
  ...preflightTasks,
  ...hostprepTasks,
  ...runtimeTasks,
  ...kubernetesTasks,
  ...kubevipTasks,
  ...controlplaneTasks,
  ...workerTasks,
  ...cniTasks,
  ...clusterTasks,
  ...offlineTasks,
  ...certsTasks,
  ...etcdTasks,
  ...resetTasks,
  ...recoverTasks,
  ...nodeTasks,
  ...upgradeTasks,
];

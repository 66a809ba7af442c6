import type { Task } from '../../engine/types.js';
import { recoverPrepare } from './prepare.js';
import { recoverEtcd, recoverFinish, recoverInit, recoverPki, recoverReset, recoverVerify } from './steps.js';

export const recoverTasks: Task[] = [recoverPrepare, recoverReset, recoverPki, recoverEtcd, recoverInit, recoverVerify, recoverFinish];

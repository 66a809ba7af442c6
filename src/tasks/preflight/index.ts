import type { Task } from '../../engine/types.js';
import { preflightFleet } from './fleet.js';

export const preflightTasks: Task[] = [preflightFleet];

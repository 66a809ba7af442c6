import type { Task } from '../../engine/types.js';
import { gatherFacts } from './gather.js';

export const factsTasks: Task[] = [gatherFacts];

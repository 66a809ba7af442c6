import { joinTask } from '../common/join.js';
import type { Task } from '../../engine/types.js';

export const controlplaneJoin: Task = joinTask('controlplane.join', 'Control plane | Join further control planes one at a time', true);

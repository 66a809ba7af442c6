import { joinTask } from '../common/join.js';

export const workerJoin = joinTask('worker.join', 'Workers | Join workers with a fresh token', false);

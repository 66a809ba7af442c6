import { joinTask } from '../common/join.js';

export const controlplaneJoin = joinTask('controlplane.join', 'Control plane | Join further control planes one at a time', true);

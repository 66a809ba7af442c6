/** Skip reasons several tasks share (TaskSpec.skip): the offline bundle replaces the online install steps. */
import type { TaskContext } from '../../engine/types.js';

/** Offline tasks: only with a bundle. */
export const onlyOffline = (ctx: TaskContext) => !ctx.inventory.spec.offline?.bundle && 'spec.offline.bundle is not set';

/** Online install steps: with a bundle, offline.install installs from it instead. */
export const onlyOnline = (ctx: TaskContext) =>
  !!ctx.inventory.spec.offline?.bundle && 'spec.offline.bundle is set: offline.install installs from the bundle';

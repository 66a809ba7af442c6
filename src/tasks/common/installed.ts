/**
 * Installed versions learned with the facts at the start of the run stay true until a task of this run installs
 * something: such a task calls forgetInstalledVersions(), and later tasks ask the host again.
 */
import type { TaskContext } from '../../engine/types.js';

export function forgetInstalledVersions(ctx: TaskContext): void {
  const f = ctx.host.facts;
  if (f) f.versions = { kubeadm: '', kubelet: '', kubectl: '', containerd: '', docker: '' };
}

/** containerd's version from this run's facts when nothing was installed since, else undefined (ask the host). */
export function knownContainerdVersion(ctx: TaskContext): string | undefined {
  return ctx.host.facts?.versions.containerd || undefined;
}

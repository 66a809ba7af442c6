/**
 * Progress of one recovery, recorded on the hosts so an interrupted `kubesmith recover` can be re-run: the first
 * control plane holds /var/lib/kubesmith/recover/current (the recovery id); each host marks finished steps as
 * files under /var/lib/kubesmith/recover/<id>/. recover.finish removes them all.
 */
import type { TaskContext } from '../../engine/types.js';
import type { Transport } from '../../transport/types.js';

export const RECOVER_DIR = '/var/lib/kubesmith/recover';
export const CURRENT = `${RECOVER_DIR}/current`;

export const recoverDir = (id: string) => `${RECOVER_DIR}/${id}`;

/** The recovery id of this run (set by recover.prepare), undefined outside recover. */
export function recoverId(ctx: TaskContext): string | undefined {
  return ctx.run.get<string>('recover.id');
}

export async function hasMarker(t: Transport, id: string, step: string): Promise<boolean> {
  return (await t.exec(['test', '-e', `${recoverDir(id)}/${step}.done`], { allowFailure: true })).code === 0;
}

export async function setMarker(t: Transport, id: string, step: string): Promise<void> {
  await t.exec(['install', '-d', '-m', '0700', recoverDir(id)]);
  await t.exec(['touch', `${recoverDir(id)}/${step}.done`]);
}

/** In a recovery, has this host already done `step`? (false outside recover) */
export async function doneInRecovery(ctx: TaskContext, step: string): Promise<boolean> {
  const id = recoverId(ctx);
  return id ? hasMarker(ctx.transport, id, step) : false;
}

/** systemd unit state, read-only, and the actions that enable/start/restart units. */
import { posix } from 'node:path';
import { sh } from '../../transport/command.js';
import type { ExecResult, Transport } from '../../transport/types.js';
import { lookups, run } from '../../transport/lookups.js';
import { action, commandAction, type Action } from './define.js';
import { runSteps } from '../../transport/steps.js';

export interface UnitState {
  enabled: boolean;
  active: boolean;
}

/** The look-up whose result isEnabled() reads. */
export const unitEnabledLookup = (unit: string) => run(['systemctl', 'is-enabled', unit]);

export function isEnabled(r: ExecResult): boolean {
  return r.code === 0 && /^(enabled|static|alias|indirect)/.test(r.stdout.trim());
}

/** The two look-ups whose results unitStateOf() reads (for a task that batches them with its own). */
export const unitStateLookups = (unit: string) => [unitEnabledLookup(unit), run(['systemctl', 'is-active', unit])] as const;

export function unitStateOf(enabled: ExecResult, active: ExecResult): UnitState {
  return { enabled: isEnabled(enabled), active: active.code === 0 && active.stdout.trim() === 'active' };
}

export async function unitEnabled(t: Transport, unit: string): Promise<boolean> {
  return isEnabled(await t.exec(unitEnabledLookup(unit).cmd, { allowFailure: true }));
}

export async function unitState(t: Transport, unit: string): Promise<UnitState> {
  const [enabled, active] = await lookups(t, unitStateLookups(unit));
  return unitStateOf(enabled, active);
}

/** Actions so that `unit` is enabled and running. */
export async function ensureRunning(t: Transport, unit: string): Promise<Action[]> {
  const state = await unitState(t, unit);
  if (state.enabled && state.active) return [];
  return [
    action(`enable and start ${unit}`, async () => {
      await t.exec(['systemctl', 'enable', '--now', unit]);
    }),
  ];
}

export function restartAction(t: Transport, unit: string, why: string): Action {
  return action(`restart ${unit} (${why})`, async () => {
    await t.exec(['systemctl', 'restart', unit]);
  });
}

/**
 * A restart a unit is owed: marked on the host before its configuration changes and cleared by the restart, so a
 * run killed in between (config written, daemon still on the old one) restarts it next time even though the file
 * then already matches.
 */
export const restartOwedPath = (unit: string) => `/var/lib/kubesmith/restart-owed/${unit}`;

/** Why a unit is restarted when only its mark says so. */
export const RESTART_OWED_REASON = 'a run stopped after changing its configuration, before restarting it';

/** The same write, preceded by the mark on the host that `unit` owes a restart. */
export function owingRestart(t: Transport, unit: string, write: Action): Action {
  const path = restartOwedPath(unit);
  const mark = sh`mkdir -p ${posix.dirname(path)} && : > ${path}`;
  const steps = write.steps;
  if (steps?.transport === t)
    return {
      change: write.change,
      run: () => runSteps(t, [mark, ...steps.commands()]).then(() => {}),
      steps: { ...steps, commands: () => [mark, ...steps.commands()] },
    };
  return { change: write.change, run: async () => (await t.exec(mark), await write.run()) };
}

/** Restart `unit` and clear its mark (only once the restart succeeded). */
export function restartClearingOwed(t: Transport, unit: string, why: string): Action {
  return commandAction(t, `restart ${unit} (${why})`, [sh`systemctl restart ${unit} && rm -f ${restartOwedPath(unit)}`]);
}

/** systemd unit state, read-only, and the actions that enable/start/restart units. */
import type { Transport } from '../../transport/types.js';
import { action, type Action } from './define.js';

export interface UnitState {
  enabled: boolean;
  active: boolean;
}

export async function unitEnabled(t: Transport, unit: string): Promise<boolean> {
  const enabled = await t.exec(['systemctl', 'is-enabled', unit], { allowFailure: true });
  return enabled.code === 0 && /^(enabled|static|alias|indirect)/.test(enabled.stdout.trim());
}

export async function unitState(t: Transport, unit: string): Promise<UnitState> {
  const enabled = await unitEnabled(t, unit);
  const active = await t.exec(['systemctl', 'is-active', unit], { allowFailure: true });
  return {
    enabled,
    active: active.code === 0 && active.stdout.trim() === 'active',
  };
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

import { defineTask, action, commandAction, type Action } from '../common/define.js';
import { fileAction } from '../common/files.js';
import {
  RESTART_OWED_REASON,
  owingRestart,
  restartClearingOwed,
  restartOwedPath,
  unitState,
  unitStateLookups,
  unitStateOf,
} from '../common/services.js';
import { sh } from '../../transport/command.js';
import { renderContainerdConfig, renderCrictl, renderRegistryHosts } from '../../render/index.js';
import { lookups, read, run } from '../../transport/lookups.js';
import type { ExecResult } from '../../transport/types.js';
import { knownContainerdVersion } from '../common/installed.js';

export const CONTAINERD_CONFIG = '/etc/containerd/config.toml';
export const CRICTL_CONFIG = '/etc/crictl.yaml';

/** "containerd github.com/containerd/containerd/v2 v2.1.4 abc…" → "2.1.4". */
export function parseContainerdVersion(out: string): string | undefined {
  return /\bv?(\d+\.\d+\.\d+)/.exec(out)?.[1];
}

export const runtimeContainerdConfigure = defineTask({
  id: 'runtime.containerd.configure',
  title: 'Container runtime | Configure containerd (systemd cgroups, pause image, mirrors) and keep it running',
  skip: (ctx) => ctx.inventory.spec.containerRuntime.type !== 'containerd' && 'containerRuntime.type is not containerd',
  async plan(ctx) {
    const t = ctx.transport;
    const hostsFiles = [...renderRegistryHosts(ctx.inventory)];
    // The version picks the config format; the facts of this run know it unless an install ran since.
    const known = knownContainerdVersion(ctx);
    const owedPath = restartOwedPath('containerd');
    const [enabled, active, owed, config0, crictl0, ...rest] = await lookups(t, [
      ...unitStateLookups('containerd'),
      run(['test', '-e', owedPath]),
      read(CONTAINERD_CONFIG),
      read(CRICTL_CONFIG),
      ...hostsFiles.map(([path]) => read(path)),
      ...(known ? [] : [run(['containerd', '--version'])]),
    ]);
    const hosts0 = rest.slice(0, hostsFiles.length) as (string | null)[];
    const out = known ? undefined : (rest[hostsFiles.length] as ExecResult);
    const version = known ?? (out?.code === 0 ? parseContainerdVersion(out.stdout) : undefined);
    if (!version) {
      if (ctx.dryRun) return { unknown: 'containerd is not installed yet (runtime.containerd.install runs first)' };
      throw new Error(`cannot read the containerd version (containerd --version exited ${out?.code})`);
    }
    const actions: Action[] = [];
    const written = await fileAction(t, CONTAINERD_CONFIG, renderContainerdConfig(ctx.inventory, version), {}, config0);
    // Before config.toml changes, the host notes that containerd owes a restart (cleared by the restart below).
    const config = written && owingRestart(t, 'containerd', written);
    if (config) actions.push(config);
    for (const [i, [path, content]] of hostsFiles.entries()) {
      const hosts = await fileAction(t, path, content, {}, hosts0[i]);
      if (hosts) actions.push(hosts);
    }
    const crictl = await fileAction(t, CRICTL_CONFIG, renderCrictl(ctx.inventory), {}, crictl0);
    if (crictl) actions.push(crictl);
    // A containerd that is not running yet (just installed) starts once, with its configuration already in place;
    // a running one restarts only when config.toml changed (hosts.toml and crictl.yaml are read live).
    const state = unitStateOf(enabled, active);
    if (!state.active)
      actions.push(commandAction(t, 'enable and start containerd', [sh`systemctl enable --now containerd && rm -f ${owedPath}`]));
    else {
      const why = config ? `${CONTAINERD_CONFIG} changed` : owed.code === 0 ? RESTART_OWED_REASON : undefined;
      if (why) actions.push(restartClearingOwed(t, 'containerd', why));
      if (!state.enabled)
        actions.push(action('enable containerd at boot', async () => void (await t.exec(['systemctl', 'enable', 'containerd']))));
    }
    return actions;
  },
  async verify(ctx) {
    if (!(await unitState(ctx.transport, 'containerd')).active) throw new Error('containerd is not running after configuration');
  },
});

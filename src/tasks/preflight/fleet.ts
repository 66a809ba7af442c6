import { defineTask } from '../common/define.js';
import { CA_CERT, caCertHash } from '../common/cluster.js';
import type { TaskContext } from '../../engine/types.js';
import type { Host } from '../../model/host.js';
import { checkClock, checkClusterIdentity, checkOs, checkPorts, checkResources, checkUniqueness, checkVersions } from './checks.js';

export class PreflightError extends Error {
  constructor(
    readonly host: string,
    readonly problems: string[],
  ) {
    super(`preflight found ${problems.length} problem(s) on ${host}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'PreflightError';
  }
}

/** The CA hash of a host's cluster, computed here from its ca.crt (undefined when it has none). */
async function hostCaHash(ctx: TaskContext, host: Host): Promise<string | undefined> {
  const pem = await ctx.transportFor(host).readFile(CA_CERT);
  return pem ? caCertHash(pem) : undefined;
}

/**
 * Runs on every host before anything changes. Each host reports ALL of its problems at once and the
 * step fails on that host (the playbook marks it critical, so the run stops before host prep).
 */
export const preflightFleet = defineTask({
  id: 'preflight.fleet',
  title: 'Preflight | Check every host before changing anything',
  async plan(ctx) {
    const host = ctx.host;
    const before = Date.now() / 1000;
    const date = await ctx.transport.exec(['date', '+%s'], { allowFailure: true });
    const after = Date.now() / 1000;
    const problems = [...checkOs(host), ...checkResources(host), ...checkUniqueness(ctx.inventory, host, ctx.hosts), ...checkPorts(host)];
    const hostEpoch = Number.parseInt(date.stdout.trim(), 10);
    if (Number.isFinite(hostEpoch)) problems.push(...checkClock(host, hostEpoch, (before + after) / 2));
    else problems.push('cannot read the clock (date +%s failed)');
    problems.push(...checkVersions(ctx.inventory, host));
    const first = ctx.hosts.firstControlPlane;
    if (host.name !== first.name) {
      const mine = await hostCaHash(ctx, host);
      if (mine) problems.push(...checkClusterIdentity(host, first, mine, await hostCaHash(ctx, first)));
    }
    if (problems.length) throw new PreflightError(host.name, problems);
    return [];
  },
});

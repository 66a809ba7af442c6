import { defineTask } from '../common/define.js';
import { CA_CERT, caCertHash } from '../common/cluster.js';
import type { TaskContext } from '../../engine/types.js';
import type { Host } from '../../model/host.js';
import { lookups, read, run } from '../../transport/lookups.js';
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

/**
 * The CA hash of the first control plane's cluster, computed here from its ca.crt (undefined when it has none).
 * Read once per run, not once per host that compares with it.
 */
function firstCaHash(ctx: TaskContext, first: Host): Promise<string | undefined> {
  const key = `preflight.ca-hash:${first.name}`;
  let pending = ctx.run.get<Promise<string | undefined>>(key);
  if (!pending) {
    pending = ctx.transportFor(first).readFile(CA_CERT).then((pem) => (pem ? caCertHash(pem) : undefined));
    pending.catch(() => ctx.run.set(key, undefined)); // a failed read is tried again by the next host
    ctx.run.set(key, pending);
  }
  return pending;
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
    const first = ctx.hosts.firstControlPlane;
    const before = Date.now() / 1000;
    // One round trip: the clock, and this host's CA when it may belong to a cluster already.
    const [date, pem] = await lookups(ctx.transport, [run(['date', '+%s']), ...(host.name !== first.name ? [read(CA_CERT)] : [])]);
    const after = Date.now() / 1000;
    const problems = [...checkOs(host), ...checkResources(host), ...checkUniqueness(ctx.inventory, host, ctx.hosts), ...checkPorts(host)];
    const hostEpoch = Number.parseInt(date.stdout.trim(), 10);
    if (Number.isFinite(hostEpoch)) problems.push(...checkClock(host, hostEpoch, (before + after) / 2));
    else problems.push('cannot read the clock (date +%s failed)');
    problems.push(...checkVersions(ctx.inventory, host));
    if (pem) {
      const mine = caCertHash(pem);
      problems.push(...checkClusterIdentity(host, first, mine, await firstCaHash(ctx, first)));
    }
    if (problems.length) throw new PreflightError(host.name, problems);
    return [];
  },
});

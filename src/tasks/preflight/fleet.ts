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

/**
 * The CA hash of the first control plane's cluster (undefined when it has none): from its facts, or, when --limit
 * left it without facts, computed here from its ca.crt, read once per run, not once per host that compares with it.
 */
function firstCaHash(ctx: TaskContext, first: Host): Promise<string | undefined> {
  if (first.facts) return Promise.resolve(first.facts.cluster.caHash);
  const key = `preflight.ca-hash:${first.name}`;
  let pending = ctx.run.get<Promise<string | undefined>>(key);
  if (!pending) {
    pending = ctx
      .transportFor(first)
      .readFile(CA_CERT)
      .then((pem) => (pem ? caCertHash(pem) : undefined));
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
    const facts = host.requireFacts();
    const problems = [...checkOs(host), ...checkResources(host), ...checkUniqueness(ctx.inventory, host, ctx.hosts), ...checkPorts(host)];
    // The clock and the CA were read with the facts, in the same round trip; no command runs here.
    if (facts.epochSeconds && facts.adminEpochSeconds) problems.push(...checkClock(host, facts.epochSeconds, facts.adminEpochSeconds));
    else problems.push('cannot read the clock (date +%s failed)');
    problems.push(...checkVersions(ctx.inventory, host));
    if (host.name !== first.name && facts.cluster.caHash) {
      problems.push(...checkClusterIdentity(host, first, facts.cluster.caHash, await firstCaHash(ctx, first)));
    }
    if (problems.length) throw new PreflightError(host.name, problems);
    return [];
  },
});

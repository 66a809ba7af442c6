/**
 * facts.gather — learn what each host is, in one round trip, and pick its distro strategy.
 *
 * Design: gathering facts is read-only, so it happens in check(), which the runner calls in `plan` and in
 * `apply` alike. check() sets host.facts and host.distro and always answers "ok": facts never change
 * anything, so apply() is never called (it is a no-op). Later steps read ctx.host.requireFacts().
 * An unsupported OS fails this step on that host, with the list of supported systems.
 */
import { detectDistro } from '../../distro/index.js';
import { CommandError } from '../../transport/types.js';
import { commandDisplay } from '../../transport/command.js';
import type { Task } from '../../engine/types.js';
import type { Facts } from '../../model/facts.js';
import { parseFacts, splitSections } from './parse.js';
import { FACTS_SCRIPT } from './script.js';

export function describeFacts(f: Facts): string {
  const versions = Object.entries(f.versions)
    .filter(([, v]) => v)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    `${f.os.prettyName || f.os.id} (${f.os.family})`,
    `${f.arch}, ${f.cpus} CPU, ${f.memoryMiB} MiB, kernel ${f.kernel}, cgroup v${f.cgroupVersion}`,
    `swap ${f.swapOn ? 'on' : 'off'}, selinux ${f.selinux}, root ${f.isRoot ? 'yes' : 'no'}`,
    f.cluster.member ? `cluster member${f.cluster.endpoint ? ` of ${f.cluster.endpoint}` : ''}` : 'not in a cluster',
    versions ? `installed: ${versions}` : 'no Kubernetes tools installed',
  ].join('; ');
}

export const gatherFacts: Task = {
  id: 'facts.gather',
  title: 'Facts | Gather OS, hardware and Kubernetes facts',
  async check(ctx) {
    const before = Date.now() / 1000;
    const result = await ctx.transport.exec(FACTS_SCRIPT, { allowFailure: true, signal: ctx.signal });
    const after = Date.now() / 1000;
    if (!splitSections(result.stdout).has('end')) {
      throw new CommandError(
        ctx.host.name,
        commandDisplay(FACTS_SCRIPT).split('\n')[0] + ' …',
        result.code,
        result.stdout,
        result.stderr,
        'the facts script did not finish; is /bin/sh available and the login shell quiet?',
      );
    }
    const facts = parseFacts(result.stdout);
    if (facts.epochSeconds) facts.adminEpochSeconds = (before + after) / 2;
    ctx.host.facts = facts;
    ctx.log(`facts: ${describeFacts(facts)}`);
    ctx.host.distro = detectDistro(facts.os);
    return { status: 'ok' };
  },
  async apply() {
    // Never called: check() always answers ok.
  },
};

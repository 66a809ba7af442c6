// kubectl verbs on nodes: cordon/uncordon, label, taint (drain: kubectl-drain.ts).
import { type Cluster, updateState } from './cluster-state.js';
import { pinPlacements } from './pod-placement.js';
import { ExitError, out } from './lab.js';
import { type Parsed, bool } from './args.js';
import { resolveResource } from './kubectl-resources.js';

export function setCordon(c: Cluster, name: string, on: boolean): void {
  const was = updateState((s) => {
    const n = s.clusters[c.id]!.nodes[name];
    if (!n) return undefined;
    // replicas stay where they run: a cordon only stops new pods from landing here
    if (on) pinPlacements(s.clusters[c.id]!);
    const prev = n.unschedulable;
    n.unschedulable = on;
    return prev;
  });
  if (was === undefined) throw new ExitError(`Error from server (NotFound): nodes "${name}" not found`);
  out(`node/${name} ${was === on ? 'already ' : ''}${on ? 'cordoned' : 'uncordoned'}`);
}

export function label(c: Cluster, p: Parsed): void {
  const [type, name, ...pairs] = p.positional;
  const r = resolveResource(type ?? '');
  if (r.kind !== 'Node') throw new ExitError("error: the lab's kubectl labels nodes only");
  const result = updateState((s) => {
    const n = s.clusters[c.id]!.nodes[name ?? ''];
    if (!n) return `Error from server (NotFound): nodes "${name}" not found`;
    let removed = false;
    for (const kv of pairs) {
      if (kv.endsWith('-')) {
        delete n.labels[kv.slice(0, -1)];
        removed = true;
        continue;
      }
      const [k, v = ''] = kv.split('=');
      if (n.labels[k!] !== undefined && n.labels[k!] !== v && !bool(p, 'overwrite'))
        return `error: '${k}' already has a value (${n.labels[k!]}), and --overwrite is false`;
      n.labels[k!] = v;
    }
    return removed && pairs.every((x) => x.endsWith('-')) ? 'unlabeled' : 'labeled';
  });
  if (result.includes(' ')) throw new ExitError(result);
  out(`node/${name} ${result}`);
}

export function taint(c: Cluster, p: Parsed): void {
  const [type, ...rest] = p.positional;
  if (resolveResource(type ?? '').kind !== 'Node') throw new ExitError("error: the lab's kubectl taints nodes only");
  const names = bool(p, 'all') ? Object.keys(c.nodes).sort() : [rest.shift() ?? ''];
  for (const name of names) {
    const result = updateState((s) => {
      const n = s.clusters[c.id]!.nodes[name];
      if (!n) return `Error from server (NotFound): nodes "${name}" not found`;
      let removed = false;
      for (const spec of rest) {
        const m = /^([^=:]+?)(?:=([^:]*))?(?::(\w+))?(-)?$/.exec(spec);
        if (!m) return `error: invalid taint spec: ${spec}`;
        const [, key, value, effect, minus] = m;
        if (minus) {
          const before = n.taints.length;
          n.taints = n.taints.filter((t) => !(t.key === key && (!effect || t.effect === effect)));
          if (n.taints.length === before) return `error: taint "${key}${effect ? `:${effect}` : ''}" not found`;
          removed = true;
        } else {
          if (!effect) return `error: unknown taint spec: ${spec}`;
          const existing = n.taints.find((t) => t.key === key && t.effect === effect);
          if (existing && !bool(p, 'overwrite'))
            return `error: node ${name} already has ${key} taint(s) with same effect(s) and --overwrite is false`;
          n.taints = [...n.taints.filter((t) => t !== existing), { key: key!, effect, ...(value ? { value } : {}) }];
        }
      }
      return removed ? 'untainted' : 'tainted';
    });
    if (result.includes(' ')) throw new ExitError(result);
    out(`node/${name} ${result}`);
  }
}

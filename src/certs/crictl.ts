/** `crictl ps` table → running containers by name (columns are separated by 3+ spaces, tabwriter padding). */
export interface RunningContainer {
  id: string;
  name: string;
  state: string;
}

export function parseCrictlPs(text: string): RunningContainer[] {
  const lines = text.split('\n').filter((l) => l.trim());
  const header = lines.findIndex((l) => /^CONTAINER\b/.test(l));
  if (header < 0) return [];
  const cols = lines[header]!.trim().split(/\s{2,}/);
  const at = (name: string) => cols.indexOf(name);
  return lines.slice(header + 1).flatMap((l) => {
    const cells = l.trim().split(/\s{2,}/);
    const id = cells[at('CONTAINER')];
    const name = cells[at('NAME')];
    return id && name ? [{ id, name, state: cells[at('STATE')] ?? '' }] : [];
  });
}

/** Per component: the running container IDs. */
export function runningIds(containers: RunningContainer[], names: readonly string[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>(names.map((n) => [n, new Set<string>()]));
  for (const c of containers) if (/running/i.test(c.state)) out.get(c.name)?.add(c.id);
  return out;
}

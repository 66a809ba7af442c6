/**
 * What an importer produces: the inventory as plain data, a comment per value saying where it came from, what could
 * not be carried over, and the changes the first `kubesmith plan` will show on purpose. Rendered by render.ts.
 */
export type Path = readonly (string | number)[];

export interface Imported {
  data: Record<string, unknown>;
  notes: { path: Path; text: string }[];
  notCarried: string[];
  /** A task the first plan will change on purpose, and why. */
  deliberate: { task: string; why: string }[];
}

export function note(r: Imported, path: Path, text: string): void {
  r.notes.push({ path, text });
}

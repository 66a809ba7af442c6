/** The persona table (personas.json): what a fresh cloud image of each lab OS offers, with its sources. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, type Os } from './paths.js';

export interface Persona {
  image: string;
  sources: string[];
  /** commands the image ships: a fresh lab host offers them */
  present: string[];
  /** commands the image does not ship: a fresh lab host hides them even when the machine has them */
  absent: string[];
}

export const personasPath = () => join(repoRoot(), 'test', 'lab', 'personas.json');

export function persona(os: Os | string): Persona | undefined {
  const all = JSON.parse(readFileSync(personasPath(), 'utf8')) as Record<string, Persona>;
  return os.startsWith('_') ? undefined : all[os];
}

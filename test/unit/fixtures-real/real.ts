/** Reading the recorded real tool outputs of test/fixtures/real (see its README.md). */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REAL_DIR = resolve(import.meta.dirname, '../../fixtures/real');

export interface FixtureEntry {
  command: string;
  exit: number;
  origin?: 'recorded' | 'quoted' | 'derived';
  version?: string;
  source?: string;
  recordedOn?: string;
  note?: string;
}

export interface FixtureManifest extends Omit<FixtureEntry, 'command' | 'exit'> {
  tool: string;
  version: string;
  files: Record<string, FixtureEntry>;
}

export function manifest(tool: string): FixtureManifest {
  return JSON.parse(readFileSync(join(REAL_DIR, tool, 'fixtures.json'), 'utf8')) as FixtureManifest;
}

export function toolDirs(): string[] {
  return readdirSync(REAL_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/** The exact text of one sample. */
export function real(tool: string, file: string): string {
  return readFileSync(join(REAL_DIR, tool, file), 'utf8');
}

/** The sample as the ExecResult a transport would return (exit code from fixtures.json). */
export function realResult(tool: string, file: string): { code: number; stdout: string; stderr: string; durationMs: number } {
  const entry = manifest(tool).files[file];
  if (!entry) throw new Error(`${tool}/${file} is not listed in ${tool}/fixtures.json`);
  return { code: entry.exit, stdout: real(tool, file), stderr: '', durationMs: 1 };
}

/** Non-empty lines. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

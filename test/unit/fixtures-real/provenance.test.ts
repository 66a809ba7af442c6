/** Every real sample names its command, exit code, and tool version or source (test/fixtures/real/README.md). */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { manifest, REAL_DIR, toolDirs } from './real.js';

describe('test/fixtures/real provenance', () => {
  for (const tool of toolDirs()) {
    it(`${tool}: every file is listed with a command, an exit code and where it came from`, () => {
      const m = manifest(tool);
      const files = readdirSync(join(REAL_DIR, tool))
        .filter((f) => f !== 'fixtures.json')
        .sort();
      expect(Object.keys(m.files).sort()).toEqual(files);
      for (const [file, entry] of Object.entries(m.files)) {
        const origin = entry.origin ?? m.origin;
        expect(entry.command, `${tool}/${file}: command`).toMatch(/\S/);
        expect(Number.isInteger(entry.exit), `${tool}/${file}: exit`).toBe(true);
        expect(entry.version ?? m.version, `${tool}/${file}: version`).toMatch(/\d/);
        if (origin === 'recorded') expect(entry.recordedOn ?? m.recordedOn, `${tool}/${file}: recordedOn`).toMatch(/\d{4}-\d{2}-\d{2}/);
        else expect(entry.source ?? m.source, `${tool}/${file}: source`).toMatch(/https:\/\/|@v|\.go|\.c\b/);
      }
    });
  }
});

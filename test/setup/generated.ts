import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSchemaPath, renderJsonSchema } from '../../src/inventory/export-schema.js';

/**
 * vitest global setup: what `npm run build` generates is generated from the sources before any test runs, so a new
 * task or schema field needs no build first: the task registry (src/tasks/registry.generated.ts) and the editors'
 * JSON Schema (inventory/schema.json).
 */
export default function setup(): void {
  execFileSync(process.execPath, [join(import.meta.dirname, '..', '..', 'scripts', 'task-registry.mjs')], { stdio: 'inherit' });
  writeFileSync(defaultSchemaPath(), renderJsonSchema());
}

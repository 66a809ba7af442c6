import { existsSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { defineCommand } from '../cli/context.js';
import { UsageError } from '../cli/context.js';
import { renderStarterInventory } from '../inventory/index.js';

export const initCommand = defineCommand({
  name: 'init',
  summary: 'Write a commented starter inventory',
  usage: 'init [--name N] [--control-plane ADDR]... [--worker ADDR]... [-o FILE] [--force]',
  description: 'Writes inventory.yaml (or -o FILE; "-" for stdout). Refuses to overwrite an existing file without --force.',
  examples: [
    'kubesmith init --name demo --control-plane 192.168.1.15 --worker 192.168.1.21 --worker 192.168.1.22',
    'kubesmith init --control-plane 10.0.0.11 --control-plane 10.0.0.12 --control-plane 10.0.0.13 -o ha.yaml',
    'kubesmith init -o - | less',
  ],
  flags: {
    name: { type: 'string', valueName: 'N', description: 'Cluster name (default demo)' },
    'control-plane': {
      type: 'string',
      multiple: true,
      valueName: 'ADDR',
      description: 'A control-plane host address (repeat for several)',
    },
    worker: { type: 'string', multiple: true, valueName: 'ADDR', description: 'A worker host address (repeat for several)' },
    file: { type: 'string', short: 'o', valueName: 'FILE', description: 'Where to write (default inventory.yaml; - for stdout)' },
    force: { type: 'boolean', description: 'Overwrite an existing file' },
  },
  async run(ctx) {
    const name = ctx.values.name ?? 'demo';
    const text = renderStarterInventory({ name, controlPlanes: ctx.values['control-plane'] ?? [], workers: ctx.values.worker ?? [] });
    const file = ctx.values.file ?? 'inventory.yaml';
    if (file === '-') {
      ctx.out.stdout.write(text);
      return 0;
    }
    const path = isAbsolute(file) ? file : join(ctx.cwd, file);
    if (existsSync(path) && !ctx.values.force) throw new UsageError(`${file} exists; use --force to overwrite it`);
    writeFileSync(path, text, { mode: 0o644 });
    ctx.out.stderr.write(`wrote ${file}; next: kubesmith validate -i ${file}\n`);
    return 0;
  },
});

/**
 * Playbooks: playbooks/<name>.yaml, an ordered list of phases of task steps. Data, not logic.
 *
 *   name: apply
 *   description: Provision a cluster from the inventory
 *   phases:
 *     - phase: Facts
 *       steps:
 *         - { task: facts.gather, hosts: all }
 *     - phase: Network
 *       steps:
 *         - { task: cni.flannel, hosts: first-control-plane }
 *
 * Steps carry no conditions: a task says itself when it does not apply, and why (TaskSpec.skip), so the reason
 * shows in the plan and the recap and no playbook repeats it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { playbooksDir } from './paths.js';
import type { TaskRegistry } from './registry.js';
import type { Playbook } from './types.js';

const selectorSchema = z.enum(['all', 'control-plane', 'worker', 'first-control-plane', 'other-control-planes', 'workers-only', 'admin']);

const stepSchema = z
  .object({
    task: z.string().regex(/^[a-z0-9]+([.-][a-z0-9]+)*$/, 'expected a dotted task id such as hostprep.swap'),
    hosts: selectorSchema,
    serial: z.union([z.boolean(), z.number().int().min(1)]).optional(),
    critical: z.boolean().optional(),
    /** Refused with a pointer to TaskSpec.skip (playbooks had `when` conditions once). */
    when: z.unknown().optional(),
  })
  .strict();

const playbookSchema = z
  .object({
    name: z.string().min(1).optional(),
    description: z.string().default(''),
    phases: z
      .array(z.object({ phase: z.string().min(1), steps: z.array(stepSchema).min(1) }).strict())
      .min(1, 'a playbook needs at least one phase'),
  })
  .strict();

export class PlaybookError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.length === 1 ? problems[0] : `\n  ${problems.join('\n  ')}`}`);
    this.name = 'PlaybookError';
  }
}

/** Resolve a playbook argument: a name under playbooks/ ("apply") or a path to a .yaml file. */
export function playbookPath(nameOrPath: string, dir = playbooksDir()): string {
  if (nameOrPath.includes('/') || /\.ya?ml$/.test(nameOrPath)) return nameOrPath;
  return join(dir, `${nameOrPath}.yaml`);
}

export function listPlaybooks(dir = playbooksDir()): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.replace(/\.yaml$/, ''))
    .sort();
}

/** Parse and validate playbook text. Every unknown task id is reported, with the list of known ids. */
export function parsePlaybook(text: string, file: string, registry: TaskRegistry): Playbook {
  let data: unknown;
  try {
    data = parse(text);
  } catch (err) {
    throw new PlaybookError(file, [`not valid YAML: ${(err as Error).message}`]);
  }
  const result = playbookSchema.safeParse(data);
  if (!result.success) {
    throw new PlaybookError(
      file,
      result.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`),
    );
  }
  const problems: string[] = [];
  result.data.phases.forEach((phase, p) =>
    phase.steps.forEach((step, s) => {
      if (!registry.has(step.task)) problems.push(`phases.${p}.steps.${s}.task: unknown task "${step.task}"`);
      if (step.when !== undefined) {
        problems.push(`phases.${p}.steps.${s}.when: steps have no conditions; the task itself says when it does not apply (its skip)`);
      }
    }),
  );
  if (problems.length > 0) {
    problems.push(`known tasks: ${registry.ids().join(', ') || '(none)'}`);
    throw new PlaybookError(file, problems);
  }
  return {
    name: result.data.name ?? basename(file).replace(/\.ya?ml$/, ''),
    description: result.data.description,
    phases: result.data.phases,
  };
}

/** Load playbooks/<name>.yaml (or a path). */
export function loadPlaybook(nameOrPath: string, registry: TaskRegistry, dir = playbooksDir()): Playbook {
  const file = playbookPath(nameOrPath, dir);
  if (!existsSync(file)) {
    const known = listPlaybooks(dir);
    throw new PlaybookError(file, [`no such playbook "${nameOrPath}"; available: ${known.join(', ') || '(none)'}`]);
  }
  return parsePlaybook(readFileSync(file, 'utf8'), file, registry);
}

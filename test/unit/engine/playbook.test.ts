import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlaybook, parsePlaybook, PlaybookError } from '../../../src/engine/playbook.js';
import { TaskRegistry } from '../../../src/engine/registry.js';
import { fakeTask, Journal } from './fakes.js';

const j = new Journal();
const registry = new TaskRegistry([fakeTask(j, { id: 'facts.gather' }), fakeTask(j, { id: 'hostprep.swap' })]);

describe('playbook loader', () => {
  it('loads playbooks/<name>.yaml into phases and steps', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-pb-'));
    writeFileSync(
      join(dir, 'apply.yaml'),
      [
        'description: Provision',
        'phases:',
        '  - phase: Facts',
        '    steps:',
        '      - {task: facts.gather, hosts: all}',
        '  - phase: Prep',
        '    steps:',
        '      - {task: hostprep.swap, hosts: worker, serial: 2}',
      ].join('\n'),
    );
    const pb = loadPlaybook('apply', registry, dir);
    expect(pb.name).toBe('apply');
    expect(pb.phases.map((p) => p.phase)).toEqual(['Facts', 'Prep']);
    expect(pb.phases[1]!.steps[0]).toEqual({ task: 'hostprep.swap', hosts: 'worker', serial: 2 });
    expect(() => loadPlaybook('nope', registry, dir)).toThrow(/no such playbook "nope"; available: apply/);
  });

  it('reports every unknown task id with the known ids', () => {
    const text = 'phases:\n  - phase: A\n    steps:\n      - {task: facts.gathr, hosts: all}\n      - {task: cni.weave, hosts: all}\n';
    try {
      parsePlaybook(text, 'x.yaml', registry);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PlaybookError);
      const problems = (err as PlaybookError).problems;
      expect(problems).toEqual([
        'phases.0.steps.0.task: unknown task "facts.gathr"',
        'phases.0.steps.1.task: unknown task "cni.weave"',
        'known tasks: facts.gather, hostprep.swap',
      ]);
    }
  });

  it('rejects bad selectors and unknown keys', () => {
    const bad = 'phases:\n  - phase: A\n    steps:\n      - {task: facts.gather, hosts: everyone, retries: 3}\n';
    expect(() => parsePlaybook(bad, 'x.yaml', registry)).toThrow(PlaybookError);
    const problems = (() => {
      try {
        parsePlaybook(bad, 'x.yaml', registry);
      } catch (e) {
        return (e as PlaybookError).problems.join('\n');
      }
      return '';
    })();
    expect(problems).toMatch(/phases.0.steps.0.hosts/);
    expect(problems).toMatch(/retries/);
  });

  it("refuses a step condition, pointing at the task's own skip", () => {
    const text = 'phases:\n  - phase: A\n    steps:\n      - {task: facts.gather, hosts: all, when: "network.plugin=flannel"}\n';
    expect(() => parsePlaybook(text, 'x.yaml', registry)).toThrow(
      /phases.0.steps.0.when: steps have no conditions; the task itself says when it does not apply/,
    );
  });
});

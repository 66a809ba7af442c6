import { describe, expect, it } from 'vitest';
import { loadPlaybook } from '../../../src/engine/playbook.js';
import { TaskRegistry } from '../../../src/engine/registry.js';
import { allTasks } from '../../../src/tasks/index.js';

const PROVISIONING = ['preflight', 'hostprep', 'runtime', 'kubernetes', 'kubevip', 'controlplane', 'worker', 'cni', 'cluster'];
const provisioning = allTasks.filter((t) => PROVISIONING.includes(t.id.split('.')[0]!));

describe('playbooks/apply.yaml', () => {
  it('loads with every task registered, in the runbook order', () => {
    const pb = loadPlaybook('apply', new TaskRegistry(allTasks));
    expect(pb.phases.map((p) => p.phase)).toEqual([
      'Connect and gather facts',
      'Preflight',
      'Host prep',
      'Package repositories',
      'Container runtime',
      'Kubernetes packages',
      'Control plane init',
      'Join control planes',
      'Join workers',
      'Node settings',
      'CNI',
      'Wait for nodes Ready',
    ]);
    const steps = pb.phases.flatMap((p) => p.steps);
    expect(steps.find((s) => s.task === 'controlplane.join')).toMatchObject({ hosts: 'other-control-planes', serial: true });
    expect(steps.find((s) => s.task === 'worker.join')).toMatchObject({ hosts: 'workers-only', critical: false });
  });

  it('every provisioning task has a dotted id and a "Component | Sentence" title, and is registered', () => {
    for (const t of provisioning) {
      expect(allTasks).toContain(t);
      expect(t.id).toMatch(/^[a-z]+(\.[a-z-]+)+$/);
      expect(t.title).toMatch(/^[A-Z][\w ]+ \| [A-Z]/);
    }
  });
});

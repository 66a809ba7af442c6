import { describe, expect, it } from 'vitest';
import { loadPlaybook } from '../../../src/engine/playbook.js';
import { TaskRegistry } from '../../../src/engine/registry.js';
import { allTasks } from '../../../src/tasks/index.js';
import { preflightTasks } from '../../../src/tasks/preflight/index.js';
import { hostprepTasks } from '../../../src/tasks/hostprep/index.js';
import { runtimeTasks } from '../../../src/tasks/runtime/index.js';
import { kubernetesTasks } from '../../../src/tasks/kubernetes/index.js';
import { kubevipTasks } from '../../../src/tasks/kubevip/index.js';
import { controlplaneTasks } from '../../../src/tasks/controlplane/index.js';
import { workerTasks } from '../../../src/tasks/worker/index.js';
import { cniTasks } from '../../../src/tasks/cni/index.js';
import { clusterTasks } from '../../../src/tasks/cluster/index.js';

const provisioning = [
  ...preflightTasks,
  ...hostprepTasks,
  ...runtimeTasks,
  ...kubernetesTasks,
  ...kubevipTasks,
  ...controlplaneTasks,
  ...workerTasks,
  ...cniTasks,
  ...clusterTasks,
];

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

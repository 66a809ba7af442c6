import { describe, expect, it } from 'vitest';
import { listPlaybooks, loadPlaybook } from '../../../src/engine/playbook.js';
import { TaskRegistry } from '../../../src/engine/registry.js';
import { allTasks } from '../../../src/tasks/index.js';

describe('shipped playbooks', () => {
  it('every playbooks/*.yaml loads and names only registered tasks', () => {
    const registry = new TaskRegistry(allTasks);
    const names = listPlaybooks();
    expect(names).toContain('apply');
    for (const name of names) {
      const pb = loadPlaybook(name, registry);
      expect(pb.phases.length, name).toBeGreaterThan(0);
    }
  });

  it('every task has a dotted id and a "Component | Sentence" title', () => {
    for (const t of allTasks) {
      expect(t.id).toMatch(/^[a-z0-9]+(\.[a-z0-9-]+)+$/);
      expect(t.title).toMatch(/^[A-Z][\w -]* \| [A-Z]/);
    }
  });
});

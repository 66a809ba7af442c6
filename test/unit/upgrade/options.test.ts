import { describe, expect, it } from 'vitest';
import { batches, resolveMaxUnavailable } from '../../../src/upgrade/options.js';
import { parseRecord, unfinished } from '../../../src/tasks/upgrade/record.js';
import { upgradeSteps, type Survey } from '../../../src/upgrade/survey.js';

describe('--max-unavailable', () => {
  it('a number, or a percentage of the workers rounded down but at least one', () => {
    expect(resolveMaxUnavailable('2', 5)).toBe(2);
    expect(resolveMaxUnavailable('25%', 10)).toBe(2);
    expect(resolveMaxUnavailable('10%', 3)).toBe(1);
    expect(resolveMaxUnavailable('100%', 3)).toBe(3);
  });
  it('refuses anything else', () => {
    for (const bad of ['0', '-1', '0%', '101%', 'two', '1.5']) expect(() => resolveMaxUnavailable(bad, 3)).toThrow(/--max-unavailable/);
  });
  it('batches keep inventory order', () => {
    expect(batches(['w1', 'w2', 'w3', 'w4', 'w5'], 2)).toEqual([['w1', 'w2'], ['w3', 'w4'], ['w5']]);
  });
});

describe('the node upgrade record', () => {
  it('keeps known steps of the same target; another target, a torn file or nothing counts as nothing done', () => {
    expect(parseRecord('{"target":"1.34.1","done":["repository","kubeadm","kubeadm-upgrade","bogus"]}', '1.34.1').done).toEqual([
      'repository',
      'kubeadm',
      'kubeadm-upgrade',
    ]);
    expect(parseRecord('{"target":"1.33.9","done":["kubeadm-upgrade"]}', '1.34.1').done).toEqual([]);
    expect(parseRecord('{"target":"1.34.1","done":["kube', '1.34.1').done).toEqual([]);
    expect(parseRecord(null, '1.34.1')).toEqual({ target: '1.34.1', done: [] });
  });
});

describe('an upgrade interrupted after every kubelet reached its version', () => {
  it('a record with completed steps but no uncordon is unfinished; none, or a complete one, is not', () => {
    expect(
      unfinished(parseRecord('{"target":"1.34.1","done":["repository","kubeadm","kubeadm-upgrade","drain","kubelet"]}', '1.34.1')),
    ).toBe(true);
    expect(unfinished(parseRecord(null, '1.34.1'))).toBe(false);
    const all = '{"target":"1.34.1","done":["repository","kubeadm","kubeadm-upgrade","drain","kubelet","uncordon"]}';
    expect(unfinished(parseRecord(all, '1.34.1'))).toBe(false);
  });
  it('is finished first (its version again), then the route; nothing when neither', () => {
    const s = (steps: string[], nodes: string[]): Survey => ({
      target: '1.34.1',
      nodes: [],
      route: { ok: true, from: '1.33.5', to: '1.34.1', steps },
      blockers: [],
      passed: [],
      unfinished: nodes,
    });
    expect(upgradeSteps(s([], ['w1']))).toEqual(['1.33.5']);
    expect(upgradeSteps(s(['1.34.1'], ['w1']))).toEqual(['1.33.5', '1.34.1']);
    expect(upgradeSteps(s([], []))).toEqual([]);
  });
});

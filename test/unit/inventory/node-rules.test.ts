import { describe, expect, it } from 'vitest';
import { errorsOf, inventoryYaml, issuesOf } from './helpers.js';

const byRule = (text: string, rule: string) => issuesOf(text).filter((i) => i.rule === rule);

describe('node-labels', () => {
  it('accepts qualified keys, role labels and empty values', () => {
    const text = inventoryYaml(
      (i) => (i.spec.hosts[1].labels = { disk: 'ssd', 'example.com/rack': 'r-1', 'node-role.kubernetes.io/ingress': '' }),
    );
    expect(errorsOf(text)).toEqual([]);
  });
  it('refuses a key the API server would refuse, at its line', () => {
    const text = inventoryYaml((i) => (i.spec.hosts[1].labels = { 'Example.com/rack': 'r1', [`x/${'a'.repeat(64)}`]: 'v' }));
    const issues = byRule(text, 'node-labels');
    expect(issues.map((x) => x.path)).toEqual(['spec.hosts[1].labels["Example.com/rack"]', `spec.hosts[1].labels["x/${'a'.repeat(64)}"]`]);
    expect(issues[0]?.line).toBeGreaterThan(0);
    expect(issues[0]?.message).toContain('is not a Kubernetes label key');
  });
  it('refuses a value that ends in - or is longer than 63', () => {
    const text = inventoryYaml((i) => (i.spec.hosts[1].labels = { a: 'ssd-', b: 'x'.repeat(64) }));
    expect(byRule(text, 'node-labels').map((x) => x.path)).toEqual(['spec.hosts[1].labels.a', 'spec.hosts[1].labels.b']);
  });
});

describe('taints (schema and unique-taints)', () => {
  it('accepts key, optional value and the three effects', () => {
    const text = inventoryYaml(
      (i) =>
        (i.spec.hosts[1].taints = [
          { key: 'example.com/gpu', value: 'a100', effect: 'NoSchedule' },
          { key: 'example.com/gpu', effect: 'NoExecute' },
          { key: 'spot', effect: 'PreferNoSchedule' },
        ]),
    );
    expect(errorsOf(text)).toEqual([]);
  });
  it('refuses an unknown effect and a key with spaces', () => {
    const text = inventoryYaml((i) => (i.spec.hosts[1].taints = [{ key: 'a b', effect: 'NoWay' }]));
    expect(
      errorsOf(text)
        .map((x) => x.path)
        .sort(),
    ).toEqual(['spec.hosts[1].taints[0].effect', 'spec.hosts[1].taints[0].key']);
  });
  it('refuses the same key and effect twice on one host', () => {
    const text = inventoryYaml(
      (i) =>
        (i.spec.hosts[1].taints = [
          { key: 'k', value: 'a', effect: 'NoSchedule' },
          { key: 'k', value: 'b', effect: 'NoSchedule' },
        ]),
    );
    const [issue] = byRule(text, 'unique-taints');
    expect(issue?.path).toBe('spec.hosts[1].taints[1]');
    expect(issue?.message).toContain('k:NoSchedule appears twice on worker1');
  });
});

describe('kubelet settings', () => {
  it('accepts quantities, percentages and plain flags', () => {
    const text = inventoryYaml(
      (i) =>
        (i.spec.kubelet = {
          maxPods: 200,
          systemReserved: { cpu: '500m', memory: '1Gi', 'ephemeral-storage': '10Gi', pid: '1000' },
          evictionHard: { 'memory.available': '5%', 'nodefs.available': '1Gi' },
          extraArgs: { v: '2', 'feature-gates': 'Foo=true,Bar=false' },
        }),
    );
    expect(errorsOf(text)).toEqual([]);
  });
  it('refuses a malformed quantity, an unknown eviction signal and a flag value with a space', () => {
    const text = inventoryYaml(
      (i) => (i.spec.kubelet = { systemReserved: { memory: '1 GB' }, evictionHard: { 'memory.free': '1Gi' }, extraArgs: { v: '2 --x' } }),
    );
    expect(
      errorsOf(text)
        .map((x) => x.path)
        .sort(),
    ).toEqual(['spec.kubelet.evictionHard["memory.free"]', 'spec.kubelet.extraArgs.v', 'spec.kubelet.systemReserved.memory']);
  });
  it('refuses extraArgs that kubesmith sets or that have a field', () => {
    const text = inventoryYaml((i) => (i.spec.kubelet = { extraArgs: { 'node-labels': 'a=b', 'max-pods': '10' } }));
    const issues = byRule(text, 'kubelet-extra-args');
    expect(issues.map((x) => [x.path, x.message])).toEqual([
      ['spec.kubelet.extraArgs.node-labels', 'kubelet flag --node-labels is managed by kubesmith: use spec.hosts[].labels'],
      ['spec.kubelet.extraArgs.max-pods', 'kubelet flag --max-pods is managed by kubesmith: use spec.kubelet.maxPods'],
    ]);
  });
});

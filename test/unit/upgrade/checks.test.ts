/** Upgrade pre-checks on recorded real outputs (kubectl version, /metrics, df) and on node lists. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  nodesReady,
  parseDeprecatedApis,
  parseDfAvailable,
  parseServerVersion,
  removedApisInUse,
  versionSkew,
} from '../../../src/upgrade/checks.js';
import { parseNodes, type NodeStatus } from '../../../src/tasks/common/cluster.js';
import { runningVersion } from '../../../src/upgrade/survey.js';

const real = (tool: string, file: string) => readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'real', tool, file), 'utf8');
const node = (name: string, version: string, ready = true): NodeStatus => ({
  name,
  version,
  ready,
  detail: ready ? 'KubeletReady' : 'NodeStatusUnknown',
  roles: [],
});

describe('reading the running cluster', () => {
  it('kube-apiserver version from plain kubectl version (real 1.33.8 transcript); none from client-only output', () => {
    expect(parseServerVersion(real('kubectl', 'version-1.33.8.txt'))).toBe('1.33.8');
    expect(parseServerVersion(real('kubectl', 'version-client.txt'))).toBeUndefined();
  });

  it('the running version is the lowest of the API server and the inventory hosts kubelets', () => {
    const nodes = parseNodes(real('kubectl', 'get-nodes-o-json.json'));
    const names = nodes.map((n) => n.name);
    expect(runningVersion('1.34.1', nodes, names)).toBe('1.34.1');
    expect(runningVersion('1.34.1', [...nodes, node('w9', 'v1.33.4')], [...names, 'w9'])).toBe('1.33.4');
    expect(runningVersion('1.34.1', [node('stranger', 'v1.30.0')], names)).toBe('1.34.1'); // not in the inventory
  });
});

describe('nodesReady', () => {
  it('names a missing node and a NotReady one with its condition', () => {
    expect(nodesReady(['cp1', 'w1', 'w2'], [node('cp1', 'v1.33.5'), node('w1', 'v1.33.5', false)])).toEqual([
      { check: 'nodes', node: 'w1', message: 'w1 is not Ready (NodeStatusUnknown)' },
      { check: 'nodes', node: 'w2', message: 'w2 is not a node of the cluster (kubectl get nodes): join it with apply first' },
    ]);
  });
});

describe('versionSkew', () => {
  const nodes = [node('cp1', 'v1.33.5'), node('w1', 'v1.31.2'), node('w2', 'v1.33.6')];
  it('a kubelet newer than the API server is a blocker', () => {
    expect(versionSkew('1.33.5', '1.34.1', nodes, ['w1', 'w2'], false).map((b) => b.message)).toEqual([
      'kubelet 1.33.6 on w2 is newer than kube-apiserver 1.33.5',
    ]);
  });
  it('--control-plane-only refuses to leave a worker more than three minors behind the target', () => {
    expect(versionSkew('1.33.6', '1.35.0', nodes, ['w1', 'w2'], true).map((b) => b.node)).toEqual(['w1']);
    expect(versionSkew('1.33.6', '1.34.0', nodes, ['w1', 'w2'], true)).toEqual([]);
  });
});

describe('removed APIs still requested (real /metrics sample)', () => {
  const apis = parseDeprecatedApis(real('kubectl', 'get-raw-metrics-deprecated-apis.txt'));
  it('reads every series with its labels', () => {
    expect(apis).toHaveLength(4);
    expect(apis[1]).toEqual({
      group: 'policy',
      version: 'v1beta1',
      resource: 'poddisruptionbudgets',
      subresource: '',
      removedRelease: '1.25',
    });
  });
  it('blocks on APIs removed after the running minor up to the target, not earlier or later', () => {
    expect(removedApisInUse(apis, '1.24.9', '1.25.3').map((b) => b.message)).toEqual([
      'policy/v1beta1 poddisruptionbudgets is still requested and is removed in 1.25: move its clients to a served version first',
      'policy/v1beta1 podsecuritypolicies is still requested and is removed in 1.25: move its clients to a served version first',
    ]);
    expect(removedApisInUse(apis, '1.25.0', '1.27.1').map((b) => b.message)).toEqual([
      'storage.k8s.io/v1beta1 csistoragecapacities is still requested and is removed in 1.27: move its clients to a served version first',
    ]);
    expect(removedApisInUse(apis, '1.27.0', '1.28.0')).toEqual([]);
  });
  it('a series at 0 was not requested', () => {
    expect(
      parseDeprecatedApis(
        'apiserver_requested_deprecated_apis{group="policy",removed_release="1.25",resource="x",subresource="",version="v1beta1"} 0',
      ),
    ).toEqual([]);
  });
});

describe('parseDfAvailable (real df -Pk)', () => {
  it('the Available column in KiB', () => {
    expect(parseDfAvailable(real('df', 'df-Pk-var-lib.txt'))).toBe(81473376);
    expect(parseDfAvailable('df: /var/lib: No such file or directory\n')).toBeUndefined();
  });
});

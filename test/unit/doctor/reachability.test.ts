// doctor's reachability probes over a fake API on a control plane (RecordingTransport): the objects it creates, the
// cleanup (an earlier run's namespace first, its own always, someone else's never), the per-pair outcomes.
import { describe, expect, it } from 'vitest';
import { PROBE_LABELS, PROBE_NAMESPACE, probeObjects } from '../../../src/doctor/probe-objects.js';
import { reachabilityOutcomes, runProbes, type ProbeOptions } from '../../../src/doctor/reachability.js';
import { RecordingTransport } from '../../../src/transport/recording.js';

const OPTS: ProbeOptions = { image: 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1', startTimeoutMs: 60_000, probeTimeoutSeconds: 2 };
const POD_IPS = ['10.244.0.20', '10.244.1.30'];
const SVC_IPS = ['10.96.4.1', '10.96.4.2'];

/** A namespace (maybe left over, maybe someone else's), the probe pods once applied, wget answering unless `blocked`. */
function fakeApi(o: { existing?: Record<string, string> | 'none'; phase?: string; blocked?: (url: string) => boolean } = {}) {
  const t = new RecordingTransport('cp1');
  const log: string[] = [];
  let ns: Record<string, string> | undefined = o.existing === 'none' || !o.existing ? undefined : o.existing;
  t.allow(/ get namespace kubesmith-doctor -o json --ignore-not-found$/, () => ({
    stdout: ns ? JSON.stringify({ metadata: { name: PROBE_NAMESPACE, labels: ns } }) : '',
  }))
    .allow(/ delete namespace kubesmith-doctor /, () => ((ns = undefined), log.push('delete'), {}))
    .allow(/ apply -f -$/, (c) => {
      const list = JSON.parse(c.stdin!) as { items: { kind: string; metadata: { labels: Record<string, string> } }[] };
      ns = list.items[0]!.metadata.labels;
      log.push(`apply ${list.items.map((i) => i.kind).join(',')}`);
      return {};
    })
    .allow(/ -n kubesmith-doctor get pods -o json$/, () => ({
      stdout: JSON.stringify({
        items: [0, 1].map((i) => ({
          metadata: { name: `probe-${i}`, namespace: PROBE_NAMESPACE },
          spec: { nodeName: ['cp1', 'w1'][i] },
          status: {
            phase: o.phase ?? 'Running',
            podIP: POD_IPS[i],
            conditions: [{ type: 'Ready', status: o.phase && o.phase !== 'Running' ? 'False' : 'True' }],
            containerStatuses: [{ state: o.phase === 'Pending' ? { waiting: { reason: 'ImagePullBackOff' } } : { running: {} } }],
          },
        })),
      }),
    }))
    .allow(/ -n kubesmith-doctor get services -o json$/, () => ({
      stdout: JSON.stringify({ items: [0, 1].map((i) => ({ metadata: { name: `probe-${i}` }, spec: { clusterIP: SVC_IPS[i] } })) }),
    }))
    .allow(/ -n kubesmith-doctor exec probe-\d -- wget -q -T 2 -O - /, (c) => {
      const url = c.command.split(' ').at(-2)!.replace(/'/g, '');
      log.push(`wget ${c.command.match(/exec (probe-\d)/)![1]} ${url}`);
      return o.blocked?.(url)
        ? { code: 1, stdout: 'wget: download timed out\ncommand terminated with exit code 1\n' }
        : { stdout: 'kubesmith-doctor-probe\n' };
    });
  return { t, log, ns: () => ns };
}

describe('doctor reachability', () => {
  it('creates one pinned pod and one Service per node in its labelled namespace', () => {
    const list = probeObjects(['cp1', 'w1'], OPTS.image);
    expect(list.items.map((i) => `${i.kind}/${String(i.metadata.name)}`)).toEqual([
      'Namespace/kubesmith-doctor',
      'Pod/probe-0',
      'Service/probe-0',
      'Pod/probe-1',
      'Service/probe-1',
    ]);
    for (const i of list.items) expect(i.metadata.labels).toEqual(expect.objectContaining(PROBE_LABELS));
    const pod = list.items[3]!.spec as { nodeName: string; tolerations: unknown[]; containers: { image: string }[] };
    expect(pod.nodeName).toBe('w1');
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(pod.containers[0]!.image).toBe(OPTS.image);
    // what the Pod Security "restricted" level asks of a pod and its containers
    expect(list.items[3]!.spec).toEqual(
      expect.objectContaining({
        securityContext: expect.objectContaining({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }),
      }),
    );
    expect(pod.containers[0]).toEqual(
      expect.objectContaining({
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
      }),
    );
    expect((list.items[4]!.spec as { selector: Record<string, string> }).selector).toEqual({ 'kubesmith.io/doctor-probe': 'probe-1' });
  });

  it('probes every ordered pair of nodes by pod IP and Service IP, then deletes its namespace', async () => {
    const api = fakeApi({ blocked: (url) => url.includes(POD_IPS[1]!) || url.includes(SVC_IPS[1]!) });
    const results = await runProbes(api.t, ['cp1', 'w1'], OPTS);
    expect(api.log).toEqual([
      'apply Namespace,Pod,Service,Pod,Service',
      'wget probe-0 http://10.244.1.30:8080/',
      'wget probe-0 http://10.96.4.2:80/',
      'wget probe-1 http://10.244.0.20:8080/',
      'wget probe-1 http://10.96.4.1:80/',
      'delete',
    ]);
    expect(api.ns()).toBeUndefined();
    const [pods, services] = reachabilityOutcomes(results);
    expect(pods!.info).toBe('1/2 node pairs');
    expect(pods!.findings).toEqual([
      expect.objectContaining({
        check: 'net.pod-to-pod',
        severity: 'critical',
        node: 'cp1',
        message: 'the test pod on cp1 cannot reach the test pod on w1 (http://10.244.1.30:8080/)',
        evidence: ['kubectl exec … wget http://10.244.1.30:8080/: wget: download timed out'],
      }),
    ]);
    expect(services!.findings.map((f) => f.message)).toEqual([
      "the test pod on cp1 cannot reach w1's test pod through its Service (http://10.96.4.2:80/)",
    ]);
  });

  it("replaces the namespace a killed run left (doctor's labels) and refuses to touch someone else's", async () => {
    const leftover = fakeApi({ existing: { ...PROBE_LABELS } });
    expect((await runProbes(leftover.t, ['cp1', 'w1'], OPTS)).every((r) => r.ok)).toBe(true);
    expect(leftover.log[0]).toBe('delete');
    const foreign = fakeApi({ existing: { team: 'payments' } });
    await expect(runProbes(foreign.t, ['cp1', 'w1'], OPTS)).rejects.toThrow(/exists but was not made by kubesmith doctor/);
    expect(foreign.log).toEqual([]);
    expect(foreign.ns()).toEqual({ team: 'payments' });
  });

  it('pods that never run: the reason names each node, and the namespace is deleted anyway', async () => {
    const api = fakeApi({ phase: 'Pending' });
    await expect(runProbes(api.t, ['cp1', 'w1'], { ...OPTS, startTimeoutMs: 0 })).rejects.toThrow(
      'test pods not running after 0s: cp1: Pending (ImagePullBackOff); w1: Pending (ImagePullBackOff)',
    );
    expect(api.log).toEqual(['apply Namespace,Pod,Service,Pod,Service', 'delete']);
  });
});

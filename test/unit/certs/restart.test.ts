import { describe, expect, it } from 'vitest';
import { parseCrictlPs } from '../../../src/certs/crictl.js';
import { restartStaticPods } from '../../../src/tasks/certs/restart.js';
import { renewNode } from '../../../src/tasks/certs/renew.js';
import type { CertsRunOptions } from '../../../src/tasks/certs/options.js';
import type { TaskContext } from '../../../src/engine/types.js';
import { Host } from '../../../src/model/host.js';
import { RecordingTransport } from '../../../src/transport/index.js';

const PODS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

/** A node whose kubelet stops a static pod whose manifest is gone and starts a new one when it returns (at each crictl poll). */
function fakeNode(opts: { apiHealthy?: () => boolean } = {}) {
  const t = new RecordingTransport('cp1');
  const out = new Set<string>();
  const generation = new Map(PODS.map((p) => [p, 1]));
  const running = new Set(PODS);
  t.allow(/^cd \/etc\/kubernetes\/manifests && for f in/, { stdout: PODS.join('\n') + '\n' });
  t.allow(/mv -f -- [a-z-]+\.yaml/, (call) => {
    const pod = /mv -f -- ([a-z-]+)\.yaml/.exec(call.command)![1]!;
    if (call.command.startsWith('set -e; cd /etc/kubernetes/manifests.kubesmith-off')) out.delete(pod);
    else out.add(pod);
    return {};
  });
  t.allow(/^crictl ps$/, () => {
    for (const p of PODS) {
      if (out.has(p)) running.delete(p);
      else if (!running.has(p)) running.add(p), generation.set(p, generation.get(p)! + 1);
    }
    const rows = [...running].map(
      (p) => `${p.slice(0, 4)}${generation.get(p)}abc      registry.k8s.io/x   1 minute ago   Running   ${p}   0   pod1   ${p}-cp1`,
    );
    return {
      stdout:
        [
          'CONTAINER           IMAGE               CREATED             STATE               NAME                ATTEMPT             POD ID              POD',
          ...rows,
        ].join('\n') + '\n',
    };
  });
  t.allow(/^kubectl --kubeconfig \/etc\/kubernetes\/admin.conf --server https:\/\/10.0.0.1:6443/, () =>
    (opts.apiHealthy?.() ?? true)
      ? { stdout: 'node/cp1\n' }
      : { code: 1, stderr: 'Unable to connect to the server: x509: certificate has expired' },
  );
  return t;
}

const restartOpts = { node: 'cp1', apiServer: 'https://10.0.0.1:6443', offSeconds: 0, healthTimeoutSeconds: 5, log: () => {} };

describe('static pod restart', () => {
  it('one component at a time (etcd, API server, controller-manager, scheduler): out, stopped, back, NEW container, then the API', async () => {
    const t = fakeNode();
    await restartStaticPods(t, restartOpts);
    const cmds = t.commands;
    const moves = cmds
      .filter((c) => /mv -f -- /.test(c))
      .map((c) => `${c.includes('set -e; cd /etc/kubernetes/manifests.kubesmith-off') ? 'back' : 'out'} ${/mv -f -- (\S+)/.exec(c)![1]}`);
    expect(moves).toEqual(PODS.flatMap((p) => [`out ${p}.yaml`, `back ${p}.yaml`]));
    for (const p of PODS) {
      const outAt = cmds.findIndex((c) => c.includes(`mv -f -- ${p}.yaml /etc/kubernetes/manifests.kubesmith-off/`));
      const backAt = cmds.findIndex((c) => c.startsWith('set -e; cd /etc/kubernetes/manifests.kubesmith-off') && c.includes(`${p}.yaml`));
      expect(cmds.slice(outAt + 1, backAt), p).toContain('crictl ps');
      const next = cmds.findIndex((c, i) => i > backAt && / mv -f -- /.test(c) && !c.includes(`${p}.yaml`));
      const between = cmds.slice(backAt + 1, next < 0 ? undefined : next);
      expect(between, p).toContain('crictl ps');
      // the API is asked once the API server itself was restarted, never while only etcd was
      expect(
        between.some((c) => c.startsWith('kubectl')),
        p,
      ).toBe(p !== 'etcd');
    }
  });

  it('an API server that never answers fails the restart after the health timeout, naming the reason', async () => {
    const t = fakeNode({ apiHealthy: () => false });
    await expect(restartStaticPods(t, { ...restartOpts, healthTimeoutSeconds: 1 })).rejects.toThrow(
      /not healthy after 1s: API server https:\/\/10.0.0.1:6443: Unable to connect.*x509/,
    );
  });

  it('crictl table parsing (header names, 3+ space columns)', () => {
    const rows = parseCrictlPs(
      'CONTAINER           IMAGE               CREATED              STATE     NAME             ATTEMPT   POD ID          POD\n3f1e2d   sha256:ab   About a minute ago   Running   kube-apiserver   1         9a8b7c   kube-apiserver-cp1\n',
    );
    expect(rows).toEqual([{ id: '3f1e2d', name: 'kube-apiserver', state: 'Running' }]);
    expect(parseCrictlPs('')).toEqual([]);
  });
});

describe('renewNode rollback', () => {
  function ctx(t: RecordingTransport, states: Map<string, string>): TaskContext {
    const certs: CertsRunOptions = { stamp: 'S', localBackupDir: '/nowhere', offSeconds: 0, healthTimeoutSeconds: 1, states };
    return {
      host: new Host({ name: 'cp2', address: '10.0.0.2', roles: ['control-plane'] } as never),
      transport: t,
      options: { certs },
      log: () => {},
      signal: new AbortController().signal,
    } as unknown as TaskContext;
  }

  it('a failing renewal restores the node from its backup and records where it stopped', async () => {
    const t = new RecordingTransport('cp2');
    t.allow(/^sha256sum \/etc\/kubernetes\/kubelet.conf/, { stdout: 'abc  /etc/kubernetes/kubelet.conf\n' });
    t.expect(/manifests.kubesmith-off/);
    t.expect(/tar -xzf \/var\/backups\/kubesmith\/S\/etc-kubernetes.tar.gz -C \//);
    const states = new Map<string, string>();
    await expect(
      renewNode(
        ctx(t, states),
        async () => {
          throw new Error('lab: injected failure');
        },
        'kubeadm certs renew all',
      ),
    ).rejects.toThrow('injected');
    t.assertDone();
    expect(states.get('cp2')).toBe(
      'FAILED during kubeadm certs renew all; backup /var/backups/kubesmith/S/etc-kubernetes.tar.gz restored: certificates and kubeconfigs as before the run',
    );
  });

  it('a failing restore is said loudly, with the command to restore by hand', async () => {
    const t = new RecordingTransport('cp2');
    t.allow(/^sha256sum/, { stdout: 'abc  x\n' });
    t.allow(/manifests.kubesmith-off/);
    t.allow(/tar -xzf/, { code: 2, stderr: 'tar: short read' });
    const states = new Map<string, string>();
    await expect(
      renewNode(
        ctx(t, states),
        async () => {
          throw new Error('boom');
        },
        'kubeadm certs renew all',
      ),
    ).rejects.toThrow('boom');
    expect(states.get('cp2')).toMatch(
      /RESTORE FAILED .*restore by hand with: tar -xzf \/var\/backups\/kubesmith\/S\/etc-kubernetes.tar.gz -C \//,
    );
  });
});

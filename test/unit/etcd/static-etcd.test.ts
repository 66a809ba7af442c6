/** The lab's etcd static pod runner: manifest flags → etcd 3.4 argv; never real etcd under LAB_FS_ROOT. */
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { etcdArgsFromManifest, staticEtcdEnabled } from '../../../test/lab/emulators/src/kube/static-etcd.js';

const manifest = YAML.stringify({
  apiVersion: 'v1',
  kind: 'Pod',
  spec: {
    containers: [
      {
        name: 'etcd',
        image: 'registry.k8s.io/etcd:3.6.5-0',
        command: [
          'etcd',
          '--advertise-client-urls=https://10.199.3.11:2379',
          '--cert-file=/etc/kubernetes/pki/etcd/server.crt',
          '--client-cert-auth=true',
          '--data-dir=/var/lib/etcd',
          '--experimental-initial-corrupt-check=true',
          '--feature-gates=InitialCorruptCheck=true',
          '--initial-advertise-peer-urls=https://10.199.3.11:2380',
          '--initial-cluster=cp1=https://10.199.3.11:2380',
          '--initial-cluster-state=existing',
          '--name=cp1',
          '--watch-progress-notify-interval=5s',
        ],
      },
    ],
  },
});

describe('static etcd', () => {
  it('keeps the flags etcd 3.4 knows, in order, and drops 3.5/3.6-only ones', () => {
    expect(etcdArgsFromManifest(manifest)).toEqual([
      '--advertise-client-urls=https://10.199.3.11:2379',
      '--cert-file=/etc/kubernetes/pki/etcd/server.crt',
      '--client-cert-auth=true',
      '--data-dir=/var/lib/etcd',
      '--initial-advertise-peer-urls=https://10.199.3.11:2380',
      '--initial-cluster=cp1=https://10.199.3.11:2380',
      '--initial-cluster-state=existing',
      '--name=cp1',
    ]);
  });
  it('is off under LAB_FS_ROOT (unit tests of emulators never start a real etcd)', () => {
    const old = process.env.LAB_FS_ROOT;
    process.env.LAB_FS_ROOT = '/tmp/nowhere';
    try {
      expect(staticEtcdEnabled()).toBe(false);
    } finally {
      if (old === undefined) delete process.env.LAB_FS_ROOT;
      else process.env.LAB_FS_ROOT = old;
    }
  });
});

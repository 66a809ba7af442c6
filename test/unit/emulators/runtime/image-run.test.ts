/**
 * Running a program of an image (`ctr run`, `docker run`): only the etcd image's programs exist (the lab's real-bin
 * stands in for its /usr/local/bin), argv is exec'd as given (no shell), file arguments are seen through the mounts,
 * and a missing program fails with runc's words.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync } from 'node:fs';
import { LabRoot, ensureBuilt } from './helpers.js';
import { writeOciArchive } from '../../../lab/emulators/src/runtime/oci-archive.js';

const ETCD = 'registry.k8s.io/etcd:3.6.4-0';
let lab: LabRoot;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  lab = new LabRoot();
  // the image's etcdctl: a double that shows its argv (one line per argument)
  lab.write('/usr/lib/kubesmith-lab/real-bin/etcdctl', '#!/bin/bash\nprintf "%s\\n" etcdctl "$@"\n');
  chmodSync(lab.path('/usr/lib/kubesmith-lab/real-bin/etcdctl'), 0o755);
});
afterEach(() => lab.cleanup());

describe('ctr run', () => {
  beforeEach(() => {
    expect(lab.systemctl('containerd', 'start').code).toBe(0);
    lab.write('/tmp/i.tar', writeOciArchive([{ ref: ETCD }, { ref: 'registry.k8s.io/pause:3.10' }]));
    expect(lab.run('ctr', ['-n', 'k8s.io', 'images', 'import', '/tmp/i.tar']).code).toBe(0);
  });
  const run = (image: string, ...argv: string[]) =>
    lab.run('ctr', [
      '-n',
      'k8s.io',
      'run',
      '--rm',
      '--net-host',
      '--mount',
      'type=bind,src=/var/lib,dst=/data,options=rbind:rw',
      image,
      'kubesmith-etcd-1',
      ...argv,
    ]);

  it("runs the etcd image's etcdctl with file arguments seen through the bind mount", () => {
    const r = run(ETCD, 'etcdctl', 'snapshot', 'status', '/data/etcd/x.db', '-w', 'json');
    expect(r).toMatchObject({ code: 0, stdout: 'etcdctl\nsnapshot\nstatus\n/var/lib/etcd/x.db\n-w\njson\n' });
  });
  it('a file outside every mount does not exist in the container', () => {
    const r = run(ETCD, 'etcdctl', 'snapshot', 'status', '/root/x.db');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error: open /root/x.db: no such file or directory\n');
  });
  it("a program the image lacks (no shell: distroless) fails with runc's error", () => {
    const sh = run(ETCD, 'sh', '-c', 'etcdctl version');
    expect(sh.code).toBe(1);
    expect(sh.stderr).toBe(
      'ctr: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "sh": executable file not found in $PATH: unknown\n',
    );
    expect(run(ETCD, 'etcdutl', 'version').stderr).toContain('exec: "etcdutl": executable file not found in $PATH');
    expect(run('registry.k8s.io/pause:3.10', 'etcdctl', 'version').stderr).toContain('exec: "etcdctl": executable file not found in $PATH');
  });
  it('an image the namespace does not hold is not found', () => {
    expect(run('registry.k8s.io/etcd:3.5.15-0', 'etcdctl', 'version').stderr).toBe(
      'ctr: image "registry.k8s.io/etcd:3.5.15-0": not found\n',
    );
  });
});

describe('docker run', () => {
  it("runs the etcd image's etcdctl with a -v mount; a missing program exits 127 with dockerd's text", () => {
    expect(lab.systemctl('docker', 'start').code).toBe(0);
    lab.write('/tmp/i.tar', writeOciArchive({ ref: ETCD }));
    expect(lab.run('docker', ['load', '-i', '/tmp/i.tar']).code).toBe(0);
    const ok = lab.run('docker', [
      'run',
      '--rm',
      '--network',
      'host',
      '-v',
      '/var/lib:/var/lib',
      ETCD,
      'etcdctl',
      'snapshot',
      'restore',
      '/var/lib/s.db',
      '--data-dir=/var/lib/etcd.new',
    ]);
    expect(ok).toMatchObject({ code: 0, stdout: 'etcdctl\nsnapshot\nrestore\n/var/lib/s.db\n--data-dir=/var/lib/etcd.new\n' });
    const sh = lab.run('docker', ['run', '--rm', ETCD, 'sh']);
    expect(sh.code).toBe(127);
    expect(sh.stderr).toBe(
      'docker: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "sh": executable file not found in $PATH: unknown.\n',
    );
  });
});

// The runtime hooks driven by the system emulators' systemctl (units/<unit>.start|stop), with the unit files and
// the packaged config.toml the emulated containerd.io package installs.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabRoot, REPO, ensureBuilt } from './helpers.js';

let lab: LabRoot;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  lab = new LabRoot();
  cpSync(join(REPO, 'test/lab/emulators/pkgfiles/containerd.io'), lab.dir, { recursive: true });
  lab.installed('containerd.io', '1.7.27-1');
  lab.write('/etc/crictl.yaml', 'runtime-endpoint: unix:///run/containerd/containerd.sock\n');
});
afterEach(() => lab.cleanup());

describe('systemctl + runtime hooks', () => {
  it('the packaged containerd.io config starts containerd without CRI; fixing it makes crictl work', () => {
    expect(lab.run('systemctl', ['start', 'containerd']).code).toBe(0);
    expect(lab.run('systemctl', ['is-active', 'containerd']).stdout).toBe('active\n');
    expect(lab.run('crictl', ['images']).stderr).toContain('unknown service runtime.v1.ImageService');
    lab.write(
      '/etc/containerd/config.toml',
      lab.run('containerd', ['config', 'default']).stdout.replace('SystemdCgroup = false', 'SystemdCgroup = true'),
    );
    expect(lab.run('systemctl', ['restart', 'containerd']).code).toBe(0);
    expect(lab.run('crictl', ['images']).code).toBe(0);
    expect(JSON.parse(readFileSync(lab.path('/run/lab/containerd/effective.json'), 'utf8'))).toMatchObject({
      systemdCgroup: true,
      sandboxImage: 'registry.k8s.io/pause:3.8',
    });
  });

  it('a broken config.toml makes the unit fail the way systemd reports it; the reason is in the service log', () => {
    lab.write('/etc/containerd/config.toml', 'version = 2\n[plugins\n');
    const r = lab.run('systemctl', ['start', 'containerd']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'Job for containerd.service failed because the control process exited with error code.\nSee "systemctl status containerd.service" and "journalctl -xeu containerd.service" for details.\n',
    );
    expect(lab.run('systemctl', ['is-active', 'containerd']).stdout).toBe('failed\n');
    expect(lab.run('lab-runtime-active', ['containerd']).code).toBe(1);
    expect(readFileSync(lab.path('/var/log/lab/containerd.log'), 'utf8')).toContain(
      'containerd: failed to load TOML: /etc/containerd/config.toml: (2, 2): ',
    );
  });

  it('stop makes crictl fail with "no such file or directory" again', () => {
    lab.write('/etc/containerd/config.toml', 'version = 2\n');
    lab.run('systemctl', ['start', 'containerd']);
    expect(lab.run('crictl', ['ps']).code).toBe(0);
    lab.run('systemctl', ['stop', 'containerd']);
    expect(lab.run('crictl', ['ps']).stderr).toContain('dial unix /run/containerd/containerd.sock: connect: no such file or directory');
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sandbox } from './sandbox.js';

const KUBELET = `[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/

[Service]
ExecStart=/usr/bin/kubelet

[Install]
WantedBy=multi-user.target
`;

let sb: Sandbox;
let hooks: string;
beforeEach(() => {
  hooks = mkdtempSync(join(tmpdir(), 'ks-hooks-'));
  sb = new Sandbox('debian12', { LAB_UNIT_HOOKS: hooks });
  sb.write('/usr/lib/systemd/system/kubelet.service', KUBELET);
  sb.write('/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf', '[Service]\nExecStart=\n');
  sb.write('/etc/fstab', '/swap.img none swap sw 0 0\n');
});
afterEach(() => {
  sb.dispose();
  rmSync(hooks, { recursive: true, force: true });
});

function hook(unit: string, kind: string, body: string): void {
  mkdirSync(hooks, { recursive: true });
  writeFileSync(join(hooks, `${unit}.${kind}`), `#!/bin/bash\n${body}\n`);
  chmodSync(join(hooks, `${unit}.${kind}`), 0o755);
}

describe('systemctl emulator', () => {
  it('enable --now makes a unit enabled and active; disable --now undoes both', () => {
    expect(sb.run('systemctl', ['is-enabled', 'kubelet'])).toMatchObject({ code: 1, stdout: 'disabled\n' });
    expect(sb.run('systemctl', ['is-active', 'kubelet'])).toMatchObject({ code: 3, stdout: 'inactive\n' });
    const en = sb.run('systemctl', ['enable', '--now', 'kubelet']);
    expect(en.code).toBe(0);
    expect(en.stderr).toBe(
      'Created symlink /etc/systemd/system/multi-user.target.wants/kubelet.service → /usr/lib/systemd/system/kubelet.service.\n',
    );
    expect(sb.run('systemctl', ['is-enabled', 'kubelet.service'])).toMatchObject({ code: 0, stdout: 'enabled\n' });
    expect(sb.run('systemctl', ['is-active', '--quiet', 'kubelet'])).toMatchObject({ code: 0, stdout: '' });
    const dis = sb.run('systemctl', ['disable', '--now', 'kubelet']);
    expect(dis.stderr).toBe('Removed "/etc/systemd/system/multi-user.target.wants/kubelet.service".\n');
    expect(sb.run('systemctl', ['is-active', 'kubelet']).stdout).toBe('inactive\n');
    expect(sb.run('systemctl', ['is-enabled', 'kubelet']).stdout).toBe('disabled\n');
  });

  it('fails on unknown units like systemd', () => {
    expect(sb.run('systemctl', ['start', 'foo'])).toMatchObject({
      code: 5,
      stderr: 'Failed to start foo.service: Unit foo.service not found.\n',
    });
    expect(sb.run('systemctl', ['stop', 'foo'])).toMatchObject({
      code: 5,
      stderr: 'Failed to stop foo.service: Unit foo.service not loaded.\n',
    });
    expect(sb.run('systemctl', ['status', 'foo'])).toMatchObject({ code: 4, stderr: 'Unit foo.service could not be found.\n' });
    expect(sb.run('systemctl', ['enable', 'foo'])).toMatchObject({
      code: 1,
      stderr: 'Failed to enable unit, unit foo.service does not exist.\n',
    });
    expect(sb.run('systemctl', ['is-enabled', 'foo'])).toMatchObject({
      code: 1,
      stderr: 'Failed to get unit file state for foo.service: No such file or directory\n',
    });
  });

  it('mask refuses start; unmask restores it', () => {
    expect(sb.run('systemctl', ['mask', 'kubelet']).stderr).toBe('Created symlink /etc/systemd/system/kubelet.service → /dev/null.\n');
    expect(sb.run('systemctl', ['is-enabled', 'kubelet']).stdout).toBe('masked\n');
    expect(sb.run('systemctl', ['start', 'kubelet'])).toMatchObject({
      code: 1,
      stderr: 'Failed to start kubelet.service: Unit kubelet.service is masked.\n',
    });
    sb.ok('systemctl', 'unmask', 'kubelet');
    expect(sb.run('systemctl', ['start', 'kubelet']).code).toBe(0);
  });

  it('runs start/stop hooks: exit 0 active with MainPID, 3 activating, other failed with the Job text', () => {
    hook('kubelet.service', 'start', 'echo 4242 > "$LAB_UNIT_PIDFILE"; echo "$LAB_UNIT" >> "$LAB_FS_ROOT/hooklog"');
    hook('kubelet.service', 'stop', 'echo "stop $LAB_UNIT_PID" >> "$LAB_FS_ROOT/hooklog"');
    sb.ok('systemctl', 'start', 'kubelet');
    expect(sb.ok('systemctl', 'show', '-p', 'MainPID', '--value', 'kubelet')).toBe('4242\n');
    expect(sb.ok('systemctl', 'show', '-p', 'ActiveState,SubState', 'kubelet')).toBe('ActiveState=active\nSubState=running\n');
    sb.ok('systemctl', 'stop', 'kubelet');
    expect(sb.read('/hooklog')).toBe('kubelet.service\nstop 4242\n');

    hook('kubelet.service', 'start', 'exit 3');
    expect(sb.run('systemctl', ['start', 'kubelet']).code).toBe(0);
    expect(sb.run('systemctl', ['is-active', 'kubelet'])).toMatchObject({ code: 3, stdout: 'activating\n' });
    sb.ok('systemctl', 'stop', 'kubelet');

    hook('kubelet.service', 'start', 'exit 1');
    const r = sb.run('systemctl', ['restart', 'kubelet']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'Job for kubelet.service failed because the control process exited with error code.\n' +
        'See "systemctl status kubelet.service" and "journalctl -xeu kubelet.service" for details.\n',
    );
    expect(sb.run('systemctl', ['is-failed', 'kubelet'])).toMatchObject({ code: 0, stdout: 'failed\n' });
    sb.ok('systemctl', 'reset-failed', 'kubelet');
    expect(sb.run('systemctl', ['is-failed', 'kubelet'])).toMatchObject({ code: 1, stdout: 'inactive\n' });
  });

  it('prints a believable status with drop-ins', () => {
    sb.ok('systemctl', 'enable', '--now', 'kubelet');
    const s = sb.run('systemctl', ['status', '--no-pager', 'kubelet']);
    expect(s.code).toBe(0);
    const lines = s.stdout.split('\n');
    expect(lines[0]).toBe('● kubelet.service - kubelet: The Kubernetes Node Agent');
    expect(lines[1]).toBe('     Loaded: loaded (/usr/lib/systemd/system/kubelet.service; enabled; preset: enabled)');
    expect(lines[2]).toBe('    Drop-In: /usr/lib/systemd/system/kubelet.service.d');
    expect(lines[3]).toBe('             └─10-kubeadm.conf');
    expect(lines[4]).toMatch(/^ {5}Active: active \(running\) since \w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \w+; \d+s ago$/);
    expect(lines[5]).toBe('       Docs: https://kubernetes.io/docs/');
    sb.ok('systemctl', 'stop', 'kubelet');
    expect(sb.run('systemctl', ['status', 'kubelet']).code).toBe(3);
  });

  it('lists fstab swap units as generated, masks them, and stopping one turns the swap off', () => {
    sb.write('/var/lib/lab/swap/devices', '/swap.img 2097148\n');
    sb.ok('swapon', '-a');
    expect(sb.ok('systemctl', 'list-unit-files', '*.swap')).toBe(
      'UNIT FILE     STATE     PRESET\nswap.img.swap generated -\n\n1 unit files listed.\n',
    );
    expect(sb.ok('systemctl', 'is-active', 'swap.img.swap')).toBe('active\n');
    sb.ok('systemctl', 'stop', 'swap.img.swap');
    expect(sb.ok('swapon', '--show')).toBe('');
    sb.ok('systemctl', 'mask', 'swap.img.swap');
    expect(sb.ok('systemctl', 'list-unit-files', '--type=swap', '--no-legend')).toBe('swap.img.swap masked -\n');
  });

  it('journals the calls, not the package scripts or boot', () => {
    sb.ok('systemctl', 'daemon-reload');
    sb.ok('systemctl', 'restart', 'kubelet');
    expect(
      sb
        .journal()
        .map((l) => l.replace(/^\d+ /, ''))
        .filter((l) => l.startsWith('systemctl')),
    ).toEqual(['systemctl daemon-reload', 'systemctl restart kubelet']);
  });
});

describe('systemctl daemon-reload bookkeeping', () => {
  it('warns when a drop-in changed after the last reload, until daemon-reload', () => {
    sb.ok('systemctl', 'daemon-reload');
    sb.ok('systemctl', 'enable', '--now', 'kubelet');
    const later = new Date(Date.now() + 2000);
    sb.write('/etc/systemd/system/kubelet.service.d/20-extra.conf', '[Service]\nEnvironment=A=1\n');
    utimesSync(sb.root + '/etc/systemd/system/kubelet.service.d/20-extra.conf', later, later);
    const warning =
      "Warning: The unit file, source configuration file or drop-ins of kubelet.service changed on disk. Run 'systemctl daemon-reload' to reload units.\n";
    expect(sb.run('systemctl', ['restart', 'kubelet']).stderr).toBe(warning);
    expect(sb.ok('systemctl', 'status', 'kubelet').split('\n')[1]).toBe('     ' + warning.trim());
    sb.ok('systemctl', 'daemon-reload');
    utimesSync(sb.root + '/run/lab/systemd/daemon-reload', new Date(later.getTime() + 1000), new Date(later.getTime() + 1000));
    expect(sb.run('systemctl', ['restart', 'kubelet']).stderr).toBe('');
  });

  it('list-units --type swap --all --plain --no-legend prints kubespray-parsable lines', () => {
    sb.write('/var/lib/lab/swap/devices', '/swap.img 2097148\n');
    sb.ok('swapon', '-a');
    expect(sb.ok('systemctl', 'list-units', '--type', 'swap', '--all', '--plain', '--no-legend')).toBe(
      'swap.img.swap loaded active     active       /swap.img\n',
    );
  });
  it('publishes the node status (lab-node-sync) after a kubelet/runtime change only once the host joined a cluster', () => {
    const fake = mkdtempSync(join(tmpdir(), 'ks-sync-'));
    writeFileSync(join(fake, 'lab-node-sync'), `#!/bin/bash\necho "sync $LAB_JOURNAL_OFF" >> ${sb.root}/synced\n`);
    chmodSync(join(fake, 'lab-node-sync'), 0o755);
    sb.env.PATH = `${fake}:${sb.env.PATH}`;
    try {
      sb.ok('systemctl', 'enable', '--now', 'kubelet');
      expect(sb.read('/synced')).toBeUndefined(); // not joined: lab-node-sync would be a no-op, it is not started
      sb.write('/var/lib/lab/faults/lab-node-sync', '1 fail\n');
      sb.ok('systemctl', 'restart', 'kubelet');
      expect(sb.read('/synced')).toBe('sync 1\n'); // a pending fault still gets its call
      rmSync(sb.root + '/var/lib/lab/faults/lab-node-sync');
      sb.write('/etc/kubernetes/kubelet.conf', 'apiVersion: v1\n');
      sb.ok('systemctl', 'restart', 'kubelet');
      sb.ok('systemctl', 'is-active', 'kubelet');
      sb.ok('systemctl', 'daemon-reload');
      expect(sb.read('/synced')).toBe('sync 1\nsync 1\n'); // joined: after the restart only (reads do not sync)
    } finally {
      rmSync(fake, { recursive: true, force: true });
    }
  });
});

import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { LabRoot, ensureBuilt } from './helpers.js';
import { parseToml } from '../../../lab/emulators/src/runtime/toml.js';

let lab: LabRoot;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  lab = new LabRoot();
});
afterEach(() => lab.cleanup());

const effective = (): Record<string, unknown> => JSON.parse(readFileSync(lab.path('/run/lab/containerd/effective.json'), 'utf8'));

describe('containerd config default', () => {
  it('prints version 2 with the 1.6 defaults for Debian containerd', () => {
    const out = lab.run('containerd', ['config', 'default']).stdout;
    const doc = parseToml(out);
    expect(doc.version).toBe(2);
    expect(out).toContain('sandbox_image = "registry.k8s.io/pause:3.6"');
    expect(out).toMatch(
      /\[plugins\."io\.containerd\.grpc\.v1\.cri"\.containerd\.runtimes\.runc\.options\]\n(\s+\w+ = .*\n)*\s+SystemdCgroup = false/,
    );
    expect(out).toContain('config_path = ""');
  });

  it('prints version 3 with pinned_images.sandbox for containerd 2.x', () => {
    lab.installed('containerd.io', '2.1.4-1');
    const out = lab.run('containerd', ['config', 'default']).stdout;
    expect(parseToml(out).version).toBe(3);
    expect(out).toMatch(/\[plugins\.'io\.containerd\.cri\.v1\.images'\.pinned_images\]\n\s+sandbox = 'registry\.k8s\.io\/pause:3\.10'/);
    expect(out).toContain('SystemdCgroup = false');
    expect(lab.run('containerd', ['--version']).stdout).toMatch(/^containerd containerd\.io v2\.1\.4 [0-9a-f]{40}\n$/);
  });
});

describe('containerd.service start hook', () => {
  it('accepts the default v2 config with SystemdCgroup switched on and records it', () => {
    const text = lab
      .run('containerd', ['config', 'default'])
      .stdout.replace('SystemdCgroup = false', 'SystemdCgroup = true')
      .replace('registry.k8s.io/pause:3.6', 'registry.k8s.io/pause:3.10')
      .replace(/(\[plugins\."io\.containerd\.grpc\.v1\.cri"\.registry\]\n\s+config_path = )""/, '$1"/etc/containerd/certs.d"');
    lab.write('/etc/containerd/config.toml', text);
    expect(lab.systemctl('containerd', 'start').code).toBe(0);
    expect(effective()).toMatchObject({
      active: true,
      mode: 'emulated',
      configVersion: 2,
      systemdCgroup: true,
      sandboxImage: 'registry.k8s.io/pause:3.10',
      configPath: '/etc/containerd/certs.d',
      criDisabled: false,
    });
    expect(lab.run('lab-runtime-active', ['containerd']).code).toBe(0);
    expect(lab.exists('/run/containerd/containerd.sock')).toBe(true);
  });

  it('records SystemdCgroup = false from an untouched default', () => {
    lab.write('/etc/containerd/config.toml', lab.run('containerd', ['config', 'default']).stdout);
    expect(lab.systemctl('containerd', 'start').code).toBe(0);
    expect(effective()).toMatchObject({ systemdCgroup: false, sandboxImage: 'registry.k8s.io/pause:3.6', configPath: '' });
  });

  it('accepts a v3 config on containerd 2.x', () => {
    lab.installed('containerd.io', '2.1.4-1');
    lab.write(
      '/etc/containerd/config.toml',
      [
        'version = 3',
        "[plugins.'io.containerd.cri.v1.images'.pinned_images]",
        "  sandbox = 'registry.k8s.io/pause:3.10.1'",
        "[plugins.'io.containerd.cri.v1.images'.registry]",
        "  config_path = '/etc/containerd/certs.d'",
        "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]",
        '  SystemdCgroup = true',
        '',
      ].join('\n'),
    );
    expect(lab.systemctl('containerd', 'start').code).toBe(0);
    expect(effective()).toMatchObject({
      configVersion: 3,
      systemdCgroup: true,
      sandboxImage: 'registry.k8s.io/pause:3.10.1',
      configPath: '/etc/containerd/certs.d',
      version: '2.1.4',
    });
  });

  it('fails to start on broken TOML, leaving the runtime inactive', () => {
    lab.write('/etc/containerd/config.toml', 'version = 2\n[plugins."io.containerd.grpc.v1.cri"\n  sandbox_image = "x"\n');
    const r = lab.systemctl('containerd', 'start');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toBe(
      'containerd: failed to load TOML: /etc/containerd/config.toml: (2, 2): unexpected token unclosed table key, was expecting a table key\n',
    );
    expect(lab.exists('/run/lab/containerd/effective.json')).toBe(false);
    expect(lab.run('lab-runtime-active', ['containerd']).code).toBe(1);
    expect(readFileSync(lab.path('/var/log/lab/containerd.log'), 'utf8')).toContain('failed to load TOML');
  });

  it('containerd 1.x starts on a v3 file but ignores its v3 sections (SystemdCgroup stays false)', () => {
    lab.write(
      '/etc/containerd/config.toml',
      "version = 3\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]\n  SystemdCgroup = true\n",
    );
    expect(lab.systemctl('containerd', 'start').code).toBe(0);
    expect(effective()).toMatchObject({ configVersion: 2, systemdCgroup: false, sandboxImage: 'registry.k8s.io/pause:3.6' });
    expect((effective().warnings as string[])[0]).toContain('config version 3 is not known to containerd 1.6.20~ds1');
  });

  it('containerd 2.x refuses version 1 (no header) and versions newer than it knows', () => {
    lab.installed('containerd.io', '2.0.0-1');
    lab.write('/etc/containerd/config.toml', 'root = "/var/lib/containerd"\n');
    expect(lab.systemctl('containerd', 'start').stderr).toContain('config version `1` is no longer supported');
    lab.write('/etc/containerd/config.toml', 'version = 4\n');
    expect(lab.systemctl('containerd', 'start').stderr).toContain('unsupported config version `4`');
    lab.installed('containerd.io', '2.3.0-1');
    expect(lab.systemctl('containerd', 'start').code).toBe(0);
  });

  it('a v2 config on containerd 2.x still starts (migrated), reading the v2 CRI keys', () => {
    lab.installed('containerd.io', '2.1.4-1');
    lab.write(
      '/etc/containerd/config.toml',
      'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n  SystemdCgroup = true\n',
    );
    expect(lab.systemctl('containerd', 'start').code).toBe(0);
    expect(effective()).toMatchObject({ configVersion: 2, systemdCgroup: true, sandboxImage: 'registry.k8s.io/pause:3.10' });
  });

  it('marks the CRI unusable when disabled_plugins has "cri" (the containerd.io package default)', () => {
    lab.write('/etc/containerd/config.toml', 'disabled_plugins = ["cri"]\n');
    expect(lab.systemctl('containerd', 'start').code).toBe(0);
    lab.write('/etc/crictl.yaml', 'runtime-endpoint: unix:///run/containerd/containerd.sock\n');
    const r = lab.run('crictl', ['images']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('rpc error: code = Unimplemented desc = unknown service runtime.v1.ImageService');
  });

  it('stop removes the socket and the state; config dump reflects the file', () => {
    lab.write(
      '/etc/containerd/config.toml',
      'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n  SystemdCgroup = true\n',
    );
    lab.systemctl('containerd', 'start');
    expect(lab.run('containerd', ['config', 'dump']).stdout).toContain('SystemdCgroup = true');
    expect(lab.systemctl('containerd', 'stop').code).toBe(0);
    expect(lab.exists('/run/containerd/containerd.sock')).toBe(false);
    expect(lab.run('lab-runtime-active', ['containerd']).code).toBe(1);
  });
});

// Debian's containerd parses the same files: `containerd -c FILE config dump` (parse only, no daemon, no plugins).
const realContainerd = existsSync('/usr/bin/containerd') && statSync('/usr/bin/containerd').size > 1_000_000;
describe.skipIf(!realContainerd)('agreement with the real containerd 1.6 parser', () => {
  const cases: Record<string, string> = {
    'good v2': 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n  SystemdCgroup = true\n',
    'v3 on 1.6': "version = 3\n[plugins.'io.containerd.cri.v1.images'.pinned_images]\n  sandbox = 'x'\n",
    'unclosed table': 'version = 2\n[plugins\n',
    'unquoted value': 'version = 2\nfoo = bar\n',
  };
  for (const [name, text] of Object.entries(cases)) {
    it(`${name}: same verdict and message`, () => {
      lab.write('/etc/containerd/config.toml', text);
      const real = spawnSync('/usr/bin/containerd', ['-c', lab.path('/etc/containerd/config.toml'), 'config', 'dump'], {
        encoding: 'utf8',
      });
      const emulated = lab.systemctl('containerd', 'start');
      expect(emulated.code === 0).toBe(real.status === 0);
      expect(emulated.stderr).toBe(real.stderr.replace(lab.path('/etc/containerd/config.toml'), '/etc/containerd/config.toml'));
      if (real.status === 0) expect(/SystemdCgroup = (\w+)/.exec(real.stdout)?.[1]).toBe(String(effective().systemdCgroup));
    });
  }
});

describe('toml parser', () => {
  it('parses quoted dotted table names, literal strings, arrays and inline tables', () => {
    const doc = parseToml('a = 1\n[x.\'y.z\'."w"]\nk = [\'a\', "b"] # c\nt = { p = true }\n[[h]]\nn = 1\n[[h]]\nn = 2\n');
    expect(doc).toEqual({ a: 1, x: { 'y.z': { w: { k: ['a', 'b'], t: { p: true } } } }, h: [{ n: 1 }, { n: 2 }] });
  });
  it('rejects duplicate keys and unquoted values', () => {
    expect(() => parseToml('a = 1\na = 2\n')).toThrow(/duplicate key/);
    expect(() => parseToml('a = hello\n')).toThrow(/\(1, 5\)/);
  });
});

/** The CNI's part of an upgrade: its running version from the DaemonSet's image, newer applied, older refused. */
import { describe, expect, it } from 'vitest';
import { cniBlockers, compareVersions, describeCni, imageTagVersion } from '../../../src/upgrade/cni.js';

describe('upgrade CNI versions', () => {
  it("reads the version from flannel's and cilium's agent images (a digest after the tag included)", () => {
    expect(imageTagVersion('ghcr.io/flannel-io/flannel:v0.28.9')).toBe('0.28.9');
    expect(imageTagVersion('quay.io/cilium/cilium:v1.19.4@sha256:' + 'a'.repeat(64))).toBe('1.19.4');
    expect(imageTagVersion('10.199.0.1:5000/flannel-io/flannel:v0.27.4\n')).toBe('0.27.4');
    expect(imageTagVersion('')).toBeUndefined();
    expect(imageTagVersion('ghcr.io/flannel-io/flannel:latest')).toBeUndefined();
  });

  it('compares versions field by field (0.28.10 is newer than 0.28.9)', () => {
    expect(compareVersions('0.28.10', '0.28.9')).toBeGreaterThan(0);
    expect(compareVersions('1.18.6', '1.19.0')).toBeLessThan(0);
    expect(compareVersions('0.28.9', '0.28.9')).toBe(0);
  });

  it('an older inventory version is a blocker; newer, equal or unknown running versions are not', () => {
    expect(cniBlockers({ plugin: 'cilium', running: '1.19.4', wanted: '1.18.6' })).toEqual([
      {
        check: 'CNI',
        message:
          'network.cilium.version 1.18.6 is older than the cilium 1.19.4 the cluster runs: CNI downgrades are refused (set 1.19.4 or newer)',
      },
    ]);
    expect(cniBlockers({ plugin: 'flannel', running: '0.27.4', wanted: '0.28.9' })).toEqual([]);
    expect(cniBlockers({ plugin: 'flannel', running: '0.28.9', wanted: '0.28.9' })).toEqual([]);
    expect(cniBlockers({ plugin: 'flannel', wanted: '0.28.9' })).toEqual([]);
    expect(cniBlockers(undefined)).toEqual([]);
  });

  it('says what the upgrade does with the CNI', () => {
    expect(describeCni({ plugin: 'flannel', running: '0.27.4', wanted: '0.28.9' })).toMatch(
      /^CNI: flannel 0\.27\.4 → 0\.28\.9, applied once/,
    );
    expect(describeCni({ plugin: 'flannel', running: '0.28.9', wanted: '0.28.9' })).toMatch(/unchanged$/);
    expect(describeCni({ plugin: 'cilium', running: '1.19.4', wanted: '1.18.6' })).toMatch(/refused \(no downgrades\)$/);
    expect(describeCni(undefined)).toBeUndefined();
  });
});

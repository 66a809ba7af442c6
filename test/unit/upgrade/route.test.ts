/** The upgrade route: one minor at a time, through the newest patch of each intermediate minor; refusals explain. */
import { describe, expect, it } from 'vitest';
import { describeRoute, newestPatch, planRoute, type Offered } from '../../../src/upgrade/route.js';

const where = (minor: number) => `https://pkgs.k8s.io/core:/stable:/v1.${minor}/deb`;
const offered: Offered = new Map([
  [32, ['1.32.0', '1.32.4', '1.32.11']],
  [33, ['1.33.0', '1.33.2', '1.33.10', '1.33.9']],
  [34, ['1.34.0', '1.34.1', '1.34.3']],
  [35, ['1.35.0']],
]);

describe('planRoute', () => {
  it('goes through the newest patch of every intermediate minor (numeric, not text order)', () => {
    expect(planRoute('1.32.4', '1.34.1', offered, where)).toEqual({ ok: true, from: '1.32.4', to: '1.34.1', steps: ['1.33.10', '1.34.1'] });
    expect(planRoute('1.32.4', '1.35.0', offered, where)).toMatchObject({ ok: true, steps: ['1.33.10', '1.34.3', '1.35.0'] });
  });

  it('one minor up or a patch within the minor is a single step to the exact target', () => {
    expect(planRoute('1.33.2', '1.34.0', offered, where)).toMatchObject({ ok: true, steps: ['1.34.0'] });
    expect(planRoute('v1.34.0', '1.34.3', offered, where)).toMatchObject({ ok: true, steps: ['1.34.3'] });
  });

  it('nothing to do at the target', () => {
    const r = planRoute('1.34.1', '1.34.1', offered, where);
    expect(r).toEqual({ ok: true, from: '1.34.1', to: '1.34.1', steps: [] });
    expect(describeRoute(r)).toContain('nothing to upgrade');
  });

  it('refuses a downgrade, patch or minor, naming both versions', () => {
    const patch = planRoute('1.34.3', '1.34.1', offered, where);
    expect(patch.ok).toBe(false);
    expect(!patch.ok && patch.reason).toMatch(/runs 1\.34\.3, newer than kubernetes\.version 1\.34\.1: kubeadm does not downgrade/);
    expect(planRoute('1.35.0', '1.33.10', offered, where).ok).toBe(false);
  });

  it('refuses to skip a minor the repository does not offer, naming the repository', () => {
    const r = planRoute('1.32.4', '1.34.1', new Map([[34, ['1.34.1']]]), where);
    expect(r.ok).toBe(false);
    expect(describeRoute(r)).toContain('must go through 1.33');
    expect(!r.ok && r.reason).toContain('https://pkgs.k8s.io/core:/stable:/v1.33/deb offers no 1.33 release');
  });

  it('refuses a target the repository does not offer', () => {
    const r = planRoute('1.33.2', '1.34.7', offered, where);
    expect(!r.ok && r.reason).toContain('offers no 1.34.7 release');
  });

  it('refuses a major change', () => {
    expect(planRoute('1.34.1', '2.0.0', offered, where).ok).toBe(false);
  });
});

describe('newestPatch', () => {
  it('ignores pre-releases and other minors', () => {
    expect(newestPatch(new Map([[34, ['1.34.0', '1.34.2-rc.1', '1.35.0']]]), 1, 34)).toBe('1.34.0');
    expect(newestPatch(new Map(), 1, 34)).toBeUndefined();
  });
});

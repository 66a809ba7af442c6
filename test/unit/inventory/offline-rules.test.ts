/** The bundle authenticity rules: a public key needs a bundle; a bundle without one is only integrity-checked. */
import { describe, expect, it } from 'vitest';
import { inventoryYaml, issuesOf } from './helpers.js';

const byRule = (text: string, rule: string) => issuesOf(text).filter((i) => i.rule === rule);

describe('offline-public-key-needs-bundle', () => {
  it('is an error at the publicKey when no bundle is set', () => {
    const text = inventoryYaml((i) => (i.spec.offline = { publicKey: 'bundle.key.pub' }));
    const [issue] = byRule(text, 'offline-public-key-needs-bundle');
    expect(issue?.severity).toBe('error');
    expect(issue?.path).toBe('spec.offline.publicKey');
    expect(issue?.message).toBe('publicKey verifies the signature of spec.offline.bundle, which is not set');
  });
  it('accepts a public key with a bundle', () => {
    const text = inventoryYaml((i) => (i.spec.offline = { bundle: './bundle', publicKey: 'bundle.key.pub' }));
    expect(issuesOf(text).filter((i) => i.rule?.startsWith('offline-'))).toEqual([]);
  });
});

describe('offline-bundle-unsigned', () => {
  it('warns at the bundle when no public key is set', () => {
    const text = inventoryYaml((i) => (i.spec.offline = { bundle: './bundle' }));
    const [issue] = byRule(text, 'offline-bundle-unsigned');
    expect(issue?.severity).toBe('warning');
    expect(issue?.path).toBe('spec.offline.bundle');
    expect(issue?.message).toMatch(/sign it \(bundle create --sign KEY\) and set spec\.offline\.publicKey/);
  });
});

/**
 * Layer 4: files the inventory names on the machine running kubesmith. An SSH key must be a readable regular file;
 * the offline bundle must exist (a directory or a .tar made by `kubesmith bundle create`). Checked by `validate` and
 * before playbook runs, so a typo fails at file:line:col before any host is touched. Not by `bundle create` (which
 * writes the bundle) nor by the pure parseInventory.
 */
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import type { PathSegment } from './issues.js';
import type { Rule, RuleIssue } from './rules.js';
import type { InventorySpec } from './schema.js';
import { localPath } from './derived.js';

export interface LocalFileChecks {
  /** ssh keyPath fields: must be readable regular files. */
  keys?: boolean;
  /** offline.bundle: must exist. */
  bundle?: boolean;
}

const error = (path: PathSegment[], message: string): Omit<RuleIssue, 'rule'> => ({ severity: 'error', path, message });

function statOf(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

function keyIssue(path: PathSegment[], written: string, dir: string): Omit<RuleIssue, 'rule'>[] {
  const file = localPath(written, dir);
  const info = statOf(file);
  if (!info) return [error(path, `private key ${written} does not exist (looked at ${file})`)];
  if (info.isDirectory()) return [error(path, `${written} is a directory; keyPath names the private key file, e.g. ~/.ssh/id_ed25519`)];
  if (!info.isFile()) return [error(path, `${written} is not a regular file; keyPath names the private key file`)];
  try {
    accessSync(file, constants.R_OK);
  } catch {
    return [error(path, `private key ${written} is not readable by this user`)];
  }
  return [];
}

/** Every keyPath the inventory sets: spec.ssh, spec.ssh.bastion, and each host's override. */
function keyPaths(spec: InventorySpec): { path: PathSegment[]; value: string }[] {
  const out: { path: PathSegment[]; value: string }[] = [];
  if (spec.ssh.keyPath) out.push({ path: ['spec', 'ssh', 'keyPath'], value: spec.ssh.keyPath });
  if (spec.ssh.bastion?.keyPath) out.push({ path: ['spec', 'ssh', 'bastion', 'keyPath'], value: spec.ssh.bastion.keyPath });
  spec.hosts.forEach((h, i) => {
    if (h.ssh?.keyPath) out.push({ path: ['spec', 'hosts', i, 'ssh', 'keyPath'], value: h.ssh.keyPath });
  });
  return out;
}

/** Rules over the local files an inventory names; `dir` is the inventory file's directory. */
export function localFileRules(dir: string, checks: LocalFileChecks): Rule[] {
  const rules: Rule[] = [];
  if (checks.keys) {
    rules.push({ name: 'ssh-key-files', check: (spec) => keyPaths(spec).flatMap((k) => keyIssue(k.path, k.value, dir)) });
  }
  if (checks.bundle) {
    rules.push({
      name: 'offline-bundle-exists',
      check(spec) {
        const bundle = spec.offline?.bundle;
        if (!bundle || statOf(localPath(bundle, dir))) return [];
        return [
          error(
            ['spec', 'offline', 'bundle'],
            `bundle ${bundle} does not exist (looked at ${localPath(bundle, dir)}); make it with \`kubesmith bundle create -i <inventory>\``,
          ),
        ];
      },
    });
  }
  return rules;
}

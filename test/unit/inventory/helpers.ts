/** Builders for inventory tests: valid YAML text with one change, and the issues a text produces. */
import { stringify } from 'yaml';
import { InventoryError, parseInventory, type Issue } from '../../../src/inventory/index.js';

export const FILE = 'inventory/test.yaml';

export function baseInventory(): Record<string, any> {
  return {
    apiVersion: 'kubesmith.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'demo' },
    spec: {
      hosts: [
        { name: 'cp1', address: '192.168.56.11', roles: ['control-plane'] },
        { name: 'worker1', address: '192.168.56.21', roles: ['worker'] },
        { name: 'worker2', address: '192.168.56.22', roles: ['worker'] },
      ],
      kubernetes: { version: '1.34.1', controlPlaneEndpoint: 'api.demo.internal:6443' },
    },
  };
}

/** YAML for the base inventory after `edit` changed it in place. */
export function inventoryYaml(edit: (inv: Record<string, any>) => void = () => {}): string {
  const inv = baseInventory();
  edit(inv);
  return stringify(inv);
}

/** All issues (errors and warnings) the text produces; [] when it loads cleanly without warnings. */
export function issuesOf(text: string): Issue[] {
  try {
    return parseInventory(text, FILE).warnings;
  } catch (err) {
    if (err instanceof InventoryError) return err.issues;
    throw err;
  }
}

export const errorsOf = (text: string): Issue[] => issuesOf(text).filter((i) => i.severity === 'error');
export const warningsOf = (text: string): Issue[] => issuesOf(text).filter((i) => i.severity === 'warning');
export const rulesOf = (issues: Issue[]): (string | undefined)[] => issues.map((i) => i.rule);

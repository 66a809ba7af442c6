/** The inventory module's public face: load, validate, format problems, and the inventory types. */
export { loadInventory, parseInventory, MAX_INVENTORY_BYTES, MAX_ALIAS_COUNT, type LoadedInventory } from './load.js';
export type { LocalFileChecks } from './local-files.js';
export { InventoryError, formatIssue, formatIssues, formatPath, sortIssues, type Issue, type Severity } from './issues.js';
export { checkRules, ALL_RULES, type Rule, type RuleIssue } from './rules.js';
export {
  controlPlaneEndpoint,
  derived,
  endpointHost,
  parseEndpoint,
  localPath,
  SUPPORTED_MINORS,
  TESTED_MINORS,
  API_SERVER_PORT,
  type DerivedValues,
  type Endpoint,
} from './derived.js';
export { parseKubeVersion, tryKubeVersion, type KubeVersion } from '../data/versions.js';
export { renderStarterInventory, type StarterOptions } from './starter.js';
export { inventorySchema, type Inventory, type InventoryInput, type InventorySpec, type HostSpec, type Role } from './schema.js';

/** Every CLI command, in help order. A new command is one import and one line here. */
import { applyCommand } from '../commands/apply.js';
import { bundleCommand } from '../commands/bundle.js';
import { imagesCommand } from '../commands/images.js';
import { certsCommand } from '../commands/certs.js';
import { initCommand } from '../commands/init.js';
import { importCommand } from '../commands/import.js';
import { kubeconfigCommand } from '../commands/kubeconfig.js';
import { planCommand } from '../commands/plan.js';
import { runCommand } from '../commands/run.js';
import { validateCommand } from '../commands/validate.js';
import { etcdCommand } from '../commands/etcd.js';
import { resetCommand } from '../commands/reset.js';
import { recoverCommand } from '../commands/recover.js';
import { nodeCommand } from '../commands/node.js';
import { upgradeCommand } from '../commands/upgrade.js';
import { auditCommand } from '../commands/audit.js';
import { doctorCommand } from '../commands/doctor.js';
import { endpointCommand } from '../commands/endpoint.js';
import type { CommandSpec } from './context.js';
import { completionCommand } from './completion.js';
import { versionCommand } from './version.js';

export const commands: CommandSpec[] = [
  initCommand,
  importCommand,
  validateCommand,
  planCommand,
  applyCommand,
  upgradeCommand,
  runCommand,
  kubeconfigCommand,
  bundleCommand,
  imagesCommand,
  etcdCommand,
  resetCommand,
  recoverCommand,
  nodeCommand,
  certsCommand,
  auditCommand,
  doctorCommand,
  endpointCommand,
  completionCommand,
  versionCommand,
];

export function findCommand(name: string): CommandSpec | undefined {
  return commands.find((c) => c.name === name);
}

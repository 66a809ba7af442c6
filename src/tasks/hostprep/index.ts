import type { Task } from '../../engine/types.js';
import { hostprepSwap } from './swap.js';
import { hostprepSelinux } from './selinux.js';
import { hostprepFirewall } from './firewall.js';
import { hostprepModules } from './modules.js';
import { hostprepSysctl } from './sysctl.js';
import { hostprepEtcHosts } from './etchosts.js';
import { hostprepHostname } from './hostname.js';

export const hostprepTasks: Task[] = [
  hostprepSwap,
  hostprepSelinux,
  hostprepFirewall,
  hostprepModules,
  hostprepSysctl,
  hostprepEtcHosts,
  hostprepHostname,
];

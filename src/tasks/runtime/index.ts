import type { Task } from '../../engine/types.js';
import { runtimeContainerdInstall } from './containerd-install.js';
import { runtimeContainerdConfigure } from './containerd-configure.js';
import { runtimeDocker } from './docker.js';

export const runtimeTasks: Task[] = [runtimeContainerdInstall, runtimeContainerdConfigure, runtimeDocker];

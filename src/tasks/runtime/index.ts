import type { Task } from '../../engine/types.js';
import { runtimeRepo } from './repo.js';
import { runtimeContainerdInstall } from './containerd-install.js';
import { runtimeContainerdConfigure } from './containerd-configure.js';
import { runtimeDocker } from './docker.js';

export const runtimeTasks: Task[] = [runtimeRepo, runtimeContainerdInstall, runtimeContainerdConfigure, runtimeDocker];

import type { Task } from '../../engine/types.js';
import { offlineVerify } from './verify.js';
import { offlineUpload } from './upload.js';
import { offlineInstall } from './install.js';
import { offlineOsDeps } from './os-deps.js';
import { offlineImages } from './images.js';
import { imagesLoad } from './load.js';

export const offlineTasks: Task[] = [offlineVerify, offlineOsDeps, offlineUpload, offlineInstall, offlineImages, imagesLoad];

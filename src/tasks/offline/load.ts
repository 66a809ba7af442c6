import { basename } from 'node:path';
import { defineTask, action, type Action } from '../common/define.js';
import { archiveImages, type ArchiveImageInfo } from '../../bundle/archive-info.js';
import { holds, importArchive, listImages } from './runtime-images.js';
import { hostPlatform } from './bundle.js';

export const REMOTE_IMAGES_DIR = '/var/lib/kubesmith/images';

interface LoadArchive {
  path: string;
  images: ArchiveImageInfo[];
}

/** The archives `kubesmith images load` was given (ctx.options.archives), with the images each holds. */
async function archives(options: Readonly<Record<string, unknown>>): Promise<LoadArchive[]> {
  const paths = options.archives;
  if (!Array.isArray(paths) || paths.length === 0) throw new Error('images.load needs archives (kubesmith images load -i FILE ARCHIVE…)');
  return Promise.all((paths as string[]).map(async (path) => ({ path, images: await archiveImages(path) })));
}

/**
 * Load image archives onto a node: an archive whose every image the node already holds (same digest, per the
 * runtime's own listing) is skipped without sending a byte; others are uploaded (checksum skip) and imported.
 */
export const imagesLoad = defineTask({
  id: 'images.load',
  title: 'Images | Load image archives into the node runtime, skipping what it holds',
  async plan(ctx) {
    const runtime = ctx.inventory.spec.containerRuntime.type;
    const t = ctx.transport;
    const have = await listImages(t, runtime);
    const actions: Action[] = [];
    for (const a of await archives(ctx.options)) {
      const missing = a.images.filter((i) => !holds(have, i.ref, i.digest));
      if (a.images.length > 0 && missing.length === 0) continue;
      const remote = `${REMOTE_IMAGES_DIR}/${basename(a.path)}`;
      const what = a.images.length ? missing.map((i) => i.ref).join(', ') : basename(a.path);
      actions.push(
        action(`load ${what}`, async () => {
          await t.upload(a.path, remote);
          await importArchive(t, runtime, remote, hostPlatform(ctx.host));
        }),
      );
    }
    return actions;
  },
  async verify(ctx) {
    const have = await listImages(ctx.transport, ctx.inventory.spec.containerRuntime.type);
    const missing = (await archives(ctx.options)).flatMap((a) => a.images).filter((i) => !holds(have, i.ref, i.digest));
    if (missing.length) throw new Error(`not in the runtime after import: ${missing.map((i) => `${i.ref}@${i.digest || '?'}`).join(', ')}`);
  },
});

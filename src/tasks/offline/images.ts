import { defineTask, action, type Action } from '../common/define.js';
import { holds, importArchive, listImages, tagImage } from './runtime-images.js';
import { onlyOffline } from '../common/gates.js';
import { hostPlatform, REMOTE_BUNDLE_DIR, runBundle } from './bundle.js';

/**
 * Load the bundle's images into the runtime the kubelet uses (containerd k8s.io, or docker), retag those the
 * inventory names differently (imageRepository, sandbox image), and verify that every required image is there
 * at the bundle's digest before kubeadm runs (kubeadm then runs with imagePullPolicy: Never).
 */
export const offlineImages = defineTask({
  id: 'offline.images',
  title: 'Offline | Import the bundle images into the runtime and check every required image is present',
  skip: onlyOffline,
  async plan(ctx) {
    const bundle = await runBundle(ctx);
    const runtime = ctx.inventory.spec.containerRuntime.type;
    const platform = hostPlatform(ctx.host);
    const t = ctx.transport;
    const listed = await t.exec(runtime === 'containerd' ? ['ctr', '-n', 'k8s.io', 'images', 'ls', '-q'] : ['docker', 'images', '-q'], {
      allowFailure: true,
    });
    if (listed.code !== 0) {
      if (ctx.dryRun) return { unknown: `${runtime} is not running yet (offline.install starts it)` };
      throw new Error(`cannot list the ${runtime} images: ${listed.stderr.trim().split('\n').pop() ?? ''}`);
    }
    const have = await listImages(t, runtime);
    const actions: Action[] = [];
    const imported = new Set<string>();
    for (const src of bundle.images) {
      const { digest, file } = src.image.platforms[platform]!;
      if (!holds(have, src.image.ref, digest) && !imported.has(file)) {
        imported.add(file);
        actions.push(
          action(`import ${src.image.ref} (${digest.slice(7, 19)})`, () =>
            importArchive(t, runtime, `${REMOTE_BUNDLE_DIR}/${file}`, platform),
          ),
        );
      }
      if (src.retag && !holds(have, src.ref, digest)) {
        actions.push(action(`tag ${src.image.ref} as ${src.ref}`, () => tagImage(t, runtime, src.image.ref, src.ref)));
      }
    }
    return actions;
  },
  async verify(ctx) {
    const bundle = await runBundle(ctx);
    const runtime = ctx.inventory.spec.containerRuntime.type;
    const platform = hostPlatform(ctx.host);
    const have = await listImages(ctx.transport, runtime);
    const missing = bundle.images.filter((s) => !holds(have, s.ref, s.image.platforms[platform]!.digest)).map((s) => s.ref);
    if (missing.length) throw new Error(`images missing on ${ctx.host.name} after import: ${missing.join(', ')}`);
  },
});

/** `kubesmith images load -i FILE ARCHIVE…`: load image archives onto all (or --limit) nodes. */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { defineCommand } from '../cli/context.js';
import { UsageError } from '../cli/context.js';
import { archiveImages } from '../bundle/archive-info.js';
import { executePlaybook } from './run-playbook.js';

export const imagesCommand = defineCommand({
  name: 'images',
  summary: 'Load image archives (docker save / ctr export / OCI) onto the nodes, skipping nodes that hold them',
  usage: 'images load -i FILE ARCHIVE… [--limit HOSTS]',
  description:
    "Reads each archive locally first (names and digests), then on every node compares with the runtime's own listing " +
    '(ctr -n k8s.io images ls, or docker images): nodes that hold every image at the same digest get nothing; the others get the ' +
    "archive (checksum-skipped upload) imported into containerd's k8s.io namespace (or docker load).",
  examples: [
    'kubesmith images load -i cluster.yaml app-1.4.tar',
    'kubesmith images load -i cluster.yaml app.tar sidecar.tar --limit worker',
  ],
  runsPlaybook: true,
  subcommands: ['load'],
  positionals: [2, 64],
  async run(ctx) {
    const [sub, ...files] = ctx.positionals;
    if (sub !== 'load') throw new UsageError(`unknown images action "${sub}" (load)`);
    const archives = files.map((f) => (isAbsolute(f) ? f : resolve(ctx.cwd, f)));
    for (const a of archives) {
      if (!existsSync(a)) throw new UsageError(`${a}: no such file`);
      try {
        await archiveImages(a);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
    }
    const { code } = await executePlaybook(ctx, { playbook: 'images-load', dryRun: false, options: { archives } });
    return code;
  },
});

import { defineTask, type Action } from '../common/define.js';
import { fileAction } from '../common/files.js';
import { onlyOnline } from '../common/gates.js';
import { markPackageIndexStale } from '../common/package-index.js';
import { lookups, read } from '../../transport/lookups.js';
import { signingKeyAction } from '../common/signing-key.js';
import { defaultPackageRepository, minorTag } from '../../data/versions.js';

export const kubernetesRepo = defineTask({
  id: 'kubernetes.repo',
  changesStayOnHost: true,
  title: 'Kubernetes packages | Add the pkgs.k8s.io repository for this minor',
  skip: onlyOnline,
  async plan(ctx) {
    const t = ctx.transport;
    const distro = ctx.host.requireDistro();
    const k = ctx.inventory.spec.kubernetes;
    const base = k.packageRepository ?? defaultPackageRepository;
    const minor = minorTag(k.version);
    const actions: Action[] = [];
    const keyring = distro.kubernetesKeyringPath;
    const [current] = await lookups(t, [read(distro.kubernetesRepoPath)]);
    if (keyring) {
      const key = { url: distro.kubernetesRepoKeyUrl(base, minor), path: keyring, format: 'binary' as const };
      const fetch = await signingKeyAction(ctx, key, `fetch the repository signing key into ${keyring}`);
      if (fetch) actions.push(fetch);
    }
    const repo = await fileAction(t, distro.kubernetesRepoPath, distro.kubernetesRepoFile(base, minor), {}, current);
    if (repo) {
      // The next install refreshes the index (once, after every repository is written).
      actions.push({ change: repo.change, run: async () => (await repo.run(), markPackageIndexStale(ctx)) });
    }
    return actions;
  },
});

import { defineTask, action, type Action } from '../common/define.js';
import { fileAction } from '../common/files.js';
import { onlyOnline } from '../common/gates.js';
import { markPackageIndexStale } from '../common/package-index.js';
import { lookups, read, run } from '../../transport/lookups.js';
import { defaultPackageRepository, minorTag } from '../../data/versions.js';
import { sh } from '../../transport/command.js';

export const kubernetesRepo = defineTask({
  id: 'kubernetes.repo',
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
    const [current, key] = await lookups(t, [read(distro.kubernetesRepoPath), ...(keyring ? [run(['test', '-e', keyring])] : [])]);
    if (keyring && key?.code !== 0) {
      const url = distro.kubernetesRepoKeyUrl(base, minor);
      actions.push(
        action(`fetch the repository signing key into ${keyring}`, async () => {
          await t.exec(sh`mkdir -p -m 755 /etc/apt/keyrings && curl -fsSL ${url} | gpg --dearmor --yes -o ${keyring}`, { timeoutMs: 120_000 });
          markPackageIndexStale(ctx);
        }),
      );
    }
    const repo = await fileAction(t, distro.kubernetesRepoPath, distro.kubernetesRepoFile(base, minor), {}, current);
    if (repo) {
      // The next install refreshes the index (once, after every repository is written).
      actions.push({ change: repo.change, run: async () => (await repo.run(), markPackageIndexStale(ctx)) });
    }
    return actions;
  },
});

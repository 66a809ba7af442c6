import { defineTask, action, type Action } from '../common/define.js';
import { fileAction } from '../common/files.js';
import { onlyOnline } from '../common/gates.js';
import { markPackageIndexStale } from '../common/package-index.js';
import { lookups, read, run } from '../../transport/lookups.js';
import { dockerRepo } from '../../data/runtime-repos.js';
import { sh } from '../../transport/command.js';

export const runtimeRepo = defineTask({
  id: 'runtime.repo',
  title: "Container runtime | Add Docker's package repository (containerd.io, docker-ce)",
  skip: onlyOnline,
  async plan(ctx) {
    const t = ctx.transport;
    const distro = ctx.host.requireDistro();
    const repo = dockerRepo(distro.family, ctx.host.requireFacts());
    const actions: Action[] = [];
    const [current, key] = await lookups(t, [read(repo.path), ...(repo.key ? [run(['test', '-e', repo.key.path])] : [])]);
    if (repo.key && key?.code !== 0) {
      const { url, path } = repo.key;
      actions.push(
        action(`fetch Docker's signing key into ${path}`, async () => {
          await t.exec(sh`mkdir -p -m 755 /etc/apt/keyrings && curl -fsSL ${url} -o ${path} && chmod a+r ${path}`, { timeoutMs: 120_000 });
          markPackageIndexStale(ctx);
        }),
      );
    }
    const file = await fileAction(t, repo.path, repo.content, {}, current);
    if (file) {
      // The next install refreshes the index (once, after every repository is written).
      actions.push({ change: file.change, run: async () => (await file.run(), markPackageIndexStale(ctx)) });
    }
    return actions;
  },
});

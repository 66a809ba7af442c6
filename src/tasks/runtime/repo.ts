import { defineTask, type Action } from '../common/define.js';
import { fileAction } from '../common/files.js';
import { onlyOnline } from '../common/gates.js';
import { markPackageIndexStale } from '../common/package-index.js';
import { lookups, read } from '../../transport/lookups.js';
import { signingKeyAction } from '../common/signing-key.js';
import { dockerRepo } from '../../data/runtime-repos.js';

export const runtimeRepo = defineTask({
  id: 'runtime.repo',
  changesStayOnHost: true,
  title: "Container runtime | Add Docker's package repository (containerd.io, docker-ce)",
  skip: onlyOnline,
  async plan(ctx) {
    const t = ctx.transport;
    const distro = ctx.host.requireDistro();
    const repo = dockerRepo(distro.family, ctx.host.requireFacts());
    const actions: Action[] = [];
    const [current] = await lookups(t, [read(repo.path)]);
    if (repo.key) {
      const fetch = await signingKeyAction(ctx, { ...repo.key, format: 'armored' }, `fetch Docker's signing key into ${repo.key.path}`);
      if (fetch) actions.push(fetch);
    }
    const file = await fileAction(t, repo.path, repo.content, {}, current);
    if (file) {
      // The next install refreshes the index (once, after every repository is written).
      actions.push({ change: file.change, run: async () => (await file.run(), markPackageIndexStale(ctx)) });
    }
    return actions;
  },
});

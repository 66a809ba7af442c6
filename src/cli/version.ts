import { defineCommand } from './context.js';
import { packageVersion } from '../engine/paths.js';

export const versionCommand = defineCommand({
  name: 'version',
  summary: 'Print the kubesmith version',
  usage: 'version',
  examples: ['kubesmith version', 'kubesmith --version'],
  async run(ctx) {
    ctx.out.stdout.write(
      ctx.flags.output === 'json' ? JSON.stringify({ version: packageVersion() }) + '\n' : `kubesmith ${packageVersion()}\n`,
    );
    return 0;
  },
});

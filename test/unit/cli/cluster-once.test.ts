/** The command context loads the inventory once: destructive commands print its warnings once, not per helper. */
import { describe, expect, it } from 'vitest';
import { cli, tempDir, writeInventory } from './helpers.js';

const WARNING = /without controlPlaneEndpoint this cluster cannot grow/g;

describe('one inventory load per command', () => {
  for (const argv of [['node', 'remove', 'w1'], ['recover', '--node', 'w1'], ['reset'], ['etcd', 'backup'], ['certs', 'renew']]) {
    it(`${argv.join(' ')} prints the inventory's warnings once`, async () => {
      const dir = tempDir();
      const inv = writeInventory(dir);
      const run = await cli([...argv, '-i', inv], { cwd: dir });
      expect(run.stderr.match(WARNING)?.length, run.stderr).toBe(1);
    });
  }
});

/**
 * `node dist/bench/profile.js [HOSTS]`: where the engine's overhead over the bare node-ssh floor goes. Runs, interleaved
 * (best of 3 each): the floor; the floor sending kubesmith's remote wrapper text (PID line + sh -c); the engine.
 */
import { labDown, labUp } from '../test/lab/lab.js';
import { engineRun, floorRun, workDir } from './overhead.js';

const n = Number(process.argv[2] ?? 50);
const lab = await labUp({ name: 'bench-profile', hosts: n, users: false });
try {
  const inv = `${lab.root}/inventory.yaml`;
  lab.writeInventory(inv, { controlPlanes: ['h1'], workers: lab.hosts.slice(1).map((h) => h.name) });
  const work = workDir();
  await floorRun(lab);
  const best: Record<string, number> = {};
  for (let i = 0; i < 3; i++) {
    for (const r of [await floorRun(lab), await floorRun(lab, true), await engineRun(lab, inv, work)])
      best[r.tool] = Math.min(best[r.tool] ?? Infinity, r.wallMs);
  }
  for (const [tool, ms] of Object.entries(best)) console.log(`${n} hosts: ${tool}: ${(ms / 1000).toFixed(2)} s`);
} finally {
  await labDown('bench-profile');
}

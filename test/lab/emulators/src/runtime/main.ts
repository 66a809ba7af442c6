// Entry point of the runtime emulators: `node main.js <tool> ARGS...` (the bash launchers in bin/ call it
// after journaling the call and applying the fault hook).
import { Exit, type Io } from './cli-util.js';
import { ctr } from './ctr.js';
import { crictl } from './crictl.js';
import { docker, dockerd, criDockerd } from './docker.js';
import { containerdCli } from './containerd-cli.js';
import { runHook } from './hooks.js';
import { heldImages } from './image-store.js';
import { runtimeActive, type RuntimeService } from './runtime-state.js';

type Tool = (argv: string[], io: Io) => number | Promise<number>;

const tools: Record<string, Tool> = {
  ctr,
  crictl,
  docker,
  dockerd,
  'cri-dockerd': criDockerd,
  containerd: containerdCli,
  'lab-images': (argv, io) => {
    const ns = argv[0] === '-n' || argv[0] === '--namespace' ? argv[1] ?? 'k8s.io' : 'k8s.io';
    for (const ref of heldImages(ns)) io.out(`${ref}\n`);
    return 0;
  },
  'lab-runtime-active': (argv) => {
    const service = argv[0] ?? 'containerd';
    if (!['containerd', 'docker', 'cri-docker'].includes(service)) throw new Exit(2, `lab-runtime-active: unknown runtime ${service}`);
    return runtimeActive(service as RuntimeService) ? 0 : 1;
  },
  'lab-runtime-hook': (argv, io) => runHook(argv[0] ?? '', argv[1] ?? '', io),
};

async function main(): Promise<void> {
  const [tool, ...argv] = process.argv.slice(2);
  const io: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };
  const run = tool ? tools[tool] : undefined;
  if (!run) {
    process.stderr.write(`lab runtime emulators: unknown tool ${tool ?? ''}\n`);
    process.exitCode = 2;
    return;
  }
  try {
    process.exitCode = await run(argv, io);
  } catch (error) {
    if (error instanceof Exit) {
      (error.code === 0 ? process.stdout : process.stderr).write(`${error.message}\n`);
      process.exitCode = error.code;
      return;
    }
    process.stderr.write(`${tool}: ${(error as Error).stack ?? error}\n`);
    process.exitCode = 1;
  }
}

await main();

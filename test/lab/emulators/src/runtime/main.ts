// Entry point of the runtime emulators: `node main.js <tool> ARGS...` (the bash launchers in bin/ call it
// after journaling the call and applying the fault hook).
import { Exit, type Io } from './cli-util.js';
import { flushNodeSync } from './runtime-state.js';

type Tool = (argv: string[], io: Io) => number | Promise<number>;

// Each tool's module is loaded on demand: emulators run thousands of times, so start-up cost matters.
const tools: Record<string, () => Promise<Tool>> = {
  ctr: async () => (await import('./ctr.js')).ctr,
  crictl: async () => (await import('./crictl.js')).crictl,
  docker: async () => (await import('./docker.js')).docker,
  dockerd: async () => (await import('./docker.js')).dockerd,
  'cri-dockerd': async () => (await import('./docker.js')).criDockerd,
  containerd: async () => (await import('./containerd-cli.js')).containerdCli,
  'lab-images': async () => {
    const { heldImages } = await import('./image-store.js');
    return (argv, io) => {
      const ns = argv[0] === '-n' || argv[0] === '--namespace' ? (argv[1] ?? 'k8s.io') : 'k8s.io';
      for (const ref of heldImages(ns)) io.out(`${ref}\n`);
      return 0;
    };
  },
  'lab-runtime-active': async () => {
    const { runtimeActive } = await import('./runtime-state.js');
    return (argv) => {
      const service = argv[0] ?? 'containerd';
      if (service !== 'containerd' && service !== 'docker' && service !== 'cri-docker')
        throw new Exit(2, `lab-runtime-active: unknown runtime ${service}`);
      return runtimeActive(service) ? 0 : 1;
    };
  },
  'lab-runtime-hook': async () => {
    const { runHook } = await import('./hooks.js');
    return (argv, io) => runHook(argv[0] ?? '', argv[1] ?? '', io);
  },
};

async function main(): Promise<void> {
  const [tool, ...argv] = process.argv.slice(2);
  const io: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };
  const load = tool ? tools[tool] : undefined;
  if (!load) {
    process.stderr.write(`lab runtime emulators: unknown tool ${tool ?? ''}\n`);
    process.exitCode = 2;
    return;
  }
  try {
    const run = await load();
    try {
      process.exitCode = await run(argv, io);
    } finally {
      await flushNodeSync();
    }
  } catch (error) {
    if (error instanceof Exit) {
      if (error.message) (error.code === 0 ? process.stdout : process.stderr).write(`${error.message}\n`);
      process.exitCode = error.code;
      return;
    }
    process.stderr.write(`${tool}: ${(error as Error).stack ?? error}\n`);
    process.exitCode = 1;
  }
}

await main();

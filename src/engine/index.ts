/** The engine's public face: tasks and playbooks in, events, plan and recap out. */
export * from './types.js';
export { runPlaybook, stopsRun, DEFAULT_CONCURRENCY, type RunnerOptions, type RunResult, type RunListener } from './runner.js';
export { TaskRegistry } from './registry.js';
export { loadPlaybook, parsePlaybook, listPlaybooks, playbookPath, PlaybookError } from './playbook.js';
export { unifiedDiff, fileDiff, type DiffOptions } from './diff.js';
export { describeFailure, stderrTail } from './errors.js';
export { RunLog, defaultLogDir, runFolderName } from './logdir.js';
export { DryRunWriteError } from './transports.js';
export { packageRoot, playbooksDir, packageVersion } from './paths.js';

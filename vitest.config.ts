import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Lists the tasks into src/tasks/registry.generated.ts (as npm run build does), so a new task needs no build first.
    globalSetup: ['test/setup/task-registry.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Lab suites share one machine's namespaces and CPU: run files one at a time.
    fileParallelism: false,
    reporters: ['default'],
  },
});

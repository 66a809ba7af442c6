import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Generates the task registry and inventory/schema.json from the sources, as npm run build does.
    globalSetup: ['test/setup/generated.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Lab suites share one machine's namespaces and CPU: run files one at a time.
    fileParallelism: false,
    reporters: ['default'],
  },
});

import { defineConfig } from 'vitest/config';

// Test tiers by file suffix (DESIGN.md §6): unit and contract tests always run; live tests need the
// stack (LAKEKIT_LIVE=1 or a running `.stack/env`) and, under CI, must run and never skip.
export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.live.test.ts', 'node_modules/**'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'live',
          include: ['test/**/*.live.test.ts'],
          // Real servers on a shared 2-core machine: one more attempt for a test that lost a race
          // with the machine (a JVM pause, a native crash at interpreter exit). A broken feature
          // fails both attempts; vitest reports every retry it made.
          retry: 1,
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});

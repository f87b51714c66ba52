/**
 * A test project that gets its services from `lakekit/stack/vitest` instead of `.stack/env`:
 * `npx vitest run --config test/stack/vitest.stack.config.ts`.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'stack-vitest',
    // `.spec.ts`, not `.test.ts`: the main config's unit project must not pick it up without the setup.
    include: ['test/stack/provided.stack.spec.ts'],
    globalSetup: ['test/stack/vitest-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});

/**
 * globalSetup of the `stack-vitest` test project (test/stack/vitest.stack.config.ts): the example of
 * `lakekit/stack/vitest` in use. It attaches to the running stack (or starts S3 + Iceberg).
 */
import { defineStackSetup } from '../../src/stack/vitest.js';

export default defineStackSetup({ services: ['iceberg'] });

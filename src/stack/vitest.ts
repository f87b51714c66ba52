/**
 * `lakekit/stack/vitest`: a vitest globalSetup that starts (or, when already running, attaches to)
 * the services a test project declares and hands their endpoints to the tests through vitest's
 * `provide`/`inject`, typed by the `ProvidedContext` augmentation below. Services this setup started
 * are stopped in teardown; services someone else started (`npm run stack:up`) are left running.
 *
 * ```ts
 * // test/stack-setup.ts
 * export default defineStackSetup({ services: ['iceberg', 'kafka'] });
 * // vitest.config.ts: test.globalSetup: ['test/stack-setup.ts']
 * // in a test:
 * const stack = useStack();           // typed endpoints
 * const iso = await stack.isolate('orders');  // own schema, topic prefix, namespace…
 * ```
 */
import { inject } from 'vitest';
import type { StackEndpoints } from './endpoints.js';
import { createIsolation, type Isolation } from './isolate.js';
import { type StartStackOptions, startStack } from './stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    lakekitStack: StackEndpoints;
  }
}

/** What a globalSetup module receives (the part of vitest's TestProject we use). */
export interface GlobalSetupContext {
  provide(key: 'lakekitStack', value: StackEndpoints): void;
}

/**
 * Builds the globalSetup function. `LAKEKIT_STACK_SERVICES` (comma-separated) overrides `services`,
 * so CI can widen or narrow a project without editing it.
 */
export function defineStackSetup(options: Omit<StartStackOptions, 'signal'> = {}) {
  return async function setup(project: GlobalSetupContext): Promise<() => Promise<void>> {
    const fromEnv = process.env.LAKEKIT_STACK_SERVICES?.split(',').filter(Boolean);
    const stack = await startStack({
      reuse: true,
      ...options,
      ...(fromEnv && fromEnv.length > 0 ? { services: fromEnv } : {}),
    });
    project.provide('lakekitStack', stack.endpoints);
    return () => stack.stop();
  };
}

/** In a test file: the endpoints the globalSetup provided, plus `isolate()`. */
export function useStack(): StackEndpoints & { isolate(name: string): Promise<Isolation> } {
  const endpoints = inject('lakekitStack');
  return { ...endpoints, isolate: (name: string) => createIsolation(endpoints, name) };
}

import { afterAll, describe } from 'vitest';
import { createS3Store, type ObjectStore } from '../../src/storage/index.js';
import { describeLive, env, liveS3, uniqueName } from '../support/live.js';
import { storeScenarios } from './store-scenarios.js';

describeLive(['s3'], 'S3 object store on the stack', () => {
  const made: ObjectStore[] = [];
  const makeStore = (): ObjectStore => {
    const store = createS3Store({
      bucket: env('LAKEKIT_S3_BUCKET'),
      prefix: `lakekit-tests/${uniqueName('store')}`,
      ...liveS3(),
    });
    made.push(store);
    return store;
  };
  afterAll(async () => {
    for (const store of made) for await (const o of store.list('')) await store.delete(o.key);
  });
  describe('shared scenarios', () => storeScenarios(makeStore));
});

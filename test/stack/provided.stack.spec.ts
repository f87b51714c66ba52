/**
 * Uses the endpoints the stack globalSetup provided (typed `inject`), and an isolation on them:
 * the Iceberg namespace and S3 prefix it hands out work and are gone after `dispose()`.
 */
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { expect, it } from 'vitest';
import { useStack } from '../../src/stack/vitest.js';

it('receives typed endpoints from the globalSetup and isolates a test on them', async () => {
  const stack = useStack();
  expect(stack.iceberg?.warehouse).toBe('s3://warehouse/');
  const s3e = stack.s3!;
  const iso = await stack.isolate('provided');
  const created = await fetch(`${stack.iceberg!.url}/v1/namespaces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ namespace: [iso.iceberg!.namespace] }),
  });
  expect(created.status).toBe(200);
  const s3 = new S3Client({
    endpoint: s3e.endpoint,
    region: s3e.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3e.accessKeyId, secretAccessKey: s3e.secretAccessKey },
  });
  await s3.send(new PutObjectCommand({ Bucket: iso.s3!.bucket, Key: `${iso.s3!.prefix}a.txt`, Body: 'a' }));
  await iso.dispose();
  const left = await s3.send(new ListObjectsV2Command({ Bucket: iso.s3!.bucket, Prefix: iso.s3!.prefix }));
  expect(left.KeyCount ?? 0).toBe(0);
  const ns = await fetch(`${stack.iceberg!.url}/v1/namespaces/${iso.iceberg!.namespace}`);
  expect(ns.status).toBe(404);
  s3.destroy();
});

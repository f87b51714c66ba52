/**
 * lakekit/registry — the Confluent-compatible Schema Registry client (typed operations, error
 * predicates, caches) and the shapes of schemas the serializers share.
 */

export {
  createSchemaRegistryClient,
  type RegistryConfig,
  type RegistryConfigUpdate,
  type SchemaListEntry,
  SchemaRegistryClient,
  type SchemaRegistryClientOptions,
} from './client.js';
export { RegistryErrorCode, SchemaRegistryError } from './errors.js';
export * from './serdes/index.js';
export type {
  CompatibilityLevel,
  CompatibilityResult,
  RegisteredSchema,
  RegistryCallOptions,
  RegistryMode,
  SchemaInput,
  SchemaMetadata,
  SchemaReference,
  SchemaRegistryLookup,
  SchemaRule,
  SchemaRuleSet,
  SchemaType,
} from './types.js';

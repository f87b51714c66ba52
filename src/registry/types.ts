/**
 * Shapes of schemas, references and registry settings as lakekit's registry client returns them.
 * The serializers in `serdes/` depend only on these types and on the `SchemaRegistryLookup`
 * structural interface, never on the HTTP client itself.
 */

/** Schema formats a Confluent-compatible registry understands; absent on the wire means AVRO. */
export type SchemaType = 'AVRO' | 'JSON' | 'PROTOBUF';

/** A named pointer from one schema to a specific version of another subject. */
export interface SchemaReference {
  name: string;
  subject: string;
  version: number;
}

/** A schema as stored in the registry. `subject`/`version` are present when known. */
export interface RegisteredSchema {
  id: number;
  schema: string;
  schemaType: SchemaType;
  references: SchemaReference[];
  subject?: string;
  version?: number;
  guid?: string;
  metadata?: SchemaMetadata;
  ruleSet?: SchemaRuleSet;
}

/** What a caller provides to register or look up a schema. */
export interface SchemaInput {
  schema: string;
  schemaType?: SchemaType;
  references?: SchemaReference[];
  metadata?: SchemaMetadata;
  ruleSet?: SchemaRuleSet;
}

/** Data-contract metadata attached to a schema version (Confluent data contracts). */
export interface SchemaMetadata {
  tags?: Record<string, string[]>;
  properties?: Record<string, string>;
  sensitive?: string[];
}

/** One data-contract rule (Confluent data contracts). */
export interface SchemaRule {
  name: string;
  doc?: string;
  kind?: 'TRANSFORM' | 'CONDITION';
  mode?: 'UPGRADE' | 'DOWNGRADE' | 'UPDOWN' | 'WRITE' | 'READ' | 'WRITEREAD';
  type?: string;
  tags?: string[];
  params?: Record<string, string>;
  expr?: string;
  onSuccess?: string;
  onFailure?: string;
  disabled?: boolean;
}

/** Migration, domain and encoding rules of a data contract. */
export interface SchemaRuleSet {
  migrationRules?: SchemaRule[];
  domainRules?: SchemaRule[];
  encodingRules?: SchemaRule[];
}

/** Compatibility levels accepted by `/config`. */
export type CompatibilityLevel =
  | 'BACKWARD'
  | 'BACKWARD_TRANSITIVE'
  | 'FORWARD'
  | 'FORWARD_TRANSITIVE'
  | 'FULL'
  | 'FULL_TRANSITIVE'
  | 'NONE';

/** Registry modes accepted by `/mode`. */
export type RegistryMode = 'READWRITE' | 'READONLY' | 'READONLY_OVERRIDE' | 'IMPORT';

/** Result of a compatibility check; `messages` is filled only when `verbose` was asked for. */
export interface CompatibilityResult {
  isCompatible: boolean;
  messages: string[];
}

/** Per-call options every registry method accepts. */
export interface RegistryCallOptions {
  signal?: AbortSignal;
}

/**
 * The subset of the registry client the serializers use. `SchemaRegistryClient` implements it;
 * tests may pass any object of this shape.
 */
export interface SchemaRegistryLookup {
  getSchemaById(id: number, opts?: { subject?: string; signal?: AbortSignal }): Promise<RegisteredSchema>;
  registerSchema(
    subject: string,
    input: SchemaInput,
    opts?: { normalize?: boolean; signal?: AbortSignal },
  ): Promise<{ id: number }>;
  lookupSchema(
    subject: string,
    input: SchemaInput,
    opts?: { normalize?: boolean; deleted?: boolean; signal?: AbortSignal },
  ): Promise<RegisteredSchema>;
  getLatestSchema(subject: string, opts?: { signal?: AbortSignal }): Promise<RegisteredSchema>;
  getSchemaVersion(
    subject: string,
    version: number | 'latest',
    opts?: { signal?: AbortSignal },
  ): Promise<RegisteredSchema>;
}

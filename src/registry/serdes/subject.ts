/**
 * Subject name strategies: which registry subject a serializer registers under or looks up in.
 * Names follow Confluent's `TopicNameStrategy` (`<topic>-key` / `<topic>-value`),
 * `RecordNameStrategy` (the record's full name) and `TopicRecordNameStrategy` (`<topic>-<name>`).
 */
import { SerdeError } from './errors.js';

export interface SubjectNameContext {
  topic: string;
  isKey: boolean;
  /** Avro record full name, Protobuf message full name or JSON Schema `title`, when known. */
  recordName: string | undefined;
}

export type SubjectNameStrategy = 'topic' | 'record' | 'topic-record' | ((ctx: SubjectNameContext) => string);

export function subjectName(strategy: SubjectNameStrategy, ctx: SubjectNameContext): string {
  if (typeof strategy === 'function') return strategy(ctx);
  if (strategy === 'topic') return `${ctx.topic}-${ctx.isKey ? 'key' : 'value'}`;
  if (ctx.recordName === undefined || ctx.recordName === '')
    throw new SerdeError({
      reason: 'invalid-options',
      message: `subject strategy '${strategy}' needs a record name: give the schema (Avro record, Protobuf message, JSON Schema with a title) or 'recordName'`,
    });
  return strategy === 'record' ? ctx.recordName : `${ctx.topic}-${ctx.recordName}`;
}

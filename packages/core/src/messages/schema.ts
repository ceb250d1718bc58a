import type { StandardSchemaV1 } from '@standard-schema/spec';
import { InvalidArgumentError, ValidationError, type ValidationIssue } from '../errors/errors.js';

export type { StandardSchemaV1 };

/** The type a schema accepts (before transforms and coercion). */
export type SchemaInput<S extends StandardSchemaV1> = StandardSchemaV1.InferInput<S>;
/** The type a schema produces (after transforms and coercion). */
export type SchemaOutput<S extends StandardSchemaV1> = StandardSchemaV1.InferOutput<S>;

/** True when `value` implements Standard Schema (a `~standard` object of version 1 with a
 * `validate` function), as zod, valibot and arktype schemas do. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  const std = (value as { '~standard'?: unknown })['~standard'];
  return (
    typeof std === 'object' &&
    std !== null &&
    (std as { version?: unknown }).version === 1 &&
    typeof (std as { validate?: unknown }).validate === 'function'
  );
}

export function assertStandardSchema(value: unknown, where: string): asserts value is StandardSchemaV1 {
  if (!isStandardSchema(value)) {
    throw new InvalidArgumentError(
      `${where} must be a Standard Schema v1 validator (zod 4, valibot, arktype…); got ${describe(value)}`,
    );
  }
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string '${value}'`;
  return typeof value === 'object' ? 'an object without a "~standard" property' : `a ${typeof value}`;
}

function toIssues(issues: readonly StandardSchemaV1.Issue[]): ValidationIssue[] {
  return issues.map((issue) => ({
    // Array.from, not .map: some libraries hand out an Array subclass whose extra fields would leak into the copy.
    path: Array.from(issue.path ?? [], (segment) =>
      typeof segment === 'object' ? (segment.key as string | number) : (segment as string | number),
    ),
    message: issue.message,
  }));
}

/**
 * Validates `value`, returning the schema's output synchronously when the schema is synchronous,
 * or a promise when it is not. Throws (or rejects with) a {@link ValidationError}.
 */
export function validate<S extends StandardSchemaV1>(
  schema: S,
  value: unknown,
  messageType: string,
  what?: string,
): SchemaOutput<S> | Promise<SchemaOutput<S>> {
  const result = schema['~standard'].validate(value);
  if (result instanceof Promise) return result.then((r) => unwrap(r, messageType, what));
  return unwrap(result as StandardSchemaV1.Result<SchemaOutput<S>>, messageType, what);
}

/** The value of a schema's result, or a thrown {@link ValidationError} listing its issues. */
export function unwrap<T>(result: StandardSchemaV1.Result<T>, messageType: string, what?: string): T {
  if (result.issues !== undefined) throw new ValidationError(messageType, toIssues(result.issues), what);
  return result.value;
}

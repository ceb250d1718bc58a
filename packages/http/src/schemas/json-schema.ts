import type { StandardSchemaV1 } from '@twofold/core';

/** A JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) as a plain object. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/**
 * Converts a schema that does not implement Standard JSON Schema itself, for a library that has its own
 * converter. Return `undefined` for a schema you do not handle.
 *
 * @example
 * import { toJsonSchema } from '@valibot/to-json-schema';
 * const convert: JsonSchemaConverter = (schema) =>
 *   schema['~standard'].vendor === 'valibot' ? toJsonSchema(schema as never) : undefined;
 */
export type JsonSchemaConverter = (schema: StandardSchemaV1, io: 'input' | 'output') => object | undefined;

/** The JSON Schema of one side of a Standard Schema; `note` says why it is empty when it is. */
export interface Converted {
  readonly schema: JsonSchema;
  readonly note?: string;
}

interface StandardJsonSchemaProps {
  readonly jsonSchema?: {
    readonly input?: (options: { readonly target: string }) => Record<string, unknown>;
    readonly output?: (options: { readonly target: string }) => Record<string, unknown>;
  };
}

/**
 * The JSON Schema of a Standard Schema's input or output. A schema that implements Standard JSON Schema
 * (`~standard.jsonSchema`: zod ≥ 4.2, arktype) converts itself; otherwise `fallback` gets a try. A schema
 * that cannot be converted yields `{}` (anything) and a note, never an exception.
 *
 * @example
 * toJsonSchema(z.object({ nights: z.int() }), 'input').schema // { type: 'object', properties: { nights: … } }
 */
export function toJsonSchema(
  schema: StandardSchemaV1,
  io: 'input' | 'output',
  fallback?: JsonSchemaConverter,
): Converted {
  const std = schema['~standard'] as StandardSchemaV1.Props & StandardJsonSchemaProps;
  const vendor = typeof std.vendor === 'string' ? std.vendor : 'unknown';
  const convert = std.jsonSchema?.[io];
  let failure: string | undefined;
  if (typeof convert === 'function') {
    try {
      return { schema: clean(convert({ target: 'draft-2020-12' })) };
    } catch (error) {
      failure = `the ${vendor} schema cannot be expressed in JSON Schema (${reason(error)})`;
    }
  }
  if (fallback !== undefined) {
    try {
      const converted = fallback(schema, io);
      if (converted !== undefined) return { schema: clean(converted) };
    } catch (error) {
      failure = `the JSON Schema converter failed (${reason(error)})`;
    }
  }
  return {
    schema: {},
    note:
      failure === undefined
        ? `No JSON Schema: the ${vendor} schema does not implement Standard JSON Schema, and no converter handled it`
        : `No JSON Schema: ${failure}`,
  };
}

function clean(converted: object): JsonSchema {
  if (typeof converted !== 'object' || converted === null) return {};
  // OpenAPI 3.1 fixes the dialect for the whole document; a per-schema $schema is noise.
  const { $schema: _dialect, ...rest } = converted as Record<string, unknown>;
  return rest;
}

function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

// The operations an OpenAPI 3.1 document describes, with their parameters and body schemas resolved: what the
// fuzz sends requests to, so that a command or query added to the hotel is fuzzed without a change here.
import type { Agent } from 'node:http';
import { json, send } from './http.js';

/** The hotel's OpenAPI document, as far as the suite reads it. */
export interface OpenApiDocument {
  readonly paths: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly components?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** Reads `GET /openapi.json` under `api`. */
export async function openApiOf(agent: Agent, api: string): Promise<OpenApiDocument> {
  const answer = await send(agent, { method: 'GET', url: `${api}/openapi.json` });
  if (answer.status !== 200) throw new Error(`GET /openapi.json: ${answer.status} ${answer.body}`);
  return json<OpenApiDocument>(answer);
}

/** The subset of JSON Schema the fuzz generates values for; anything else is treated as "any value". */
export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly format?: string;
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly default?: unknown;
  readonly examples?: readonly unknown[];
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly $ref?: string;
}

export interface Parameter {
  readonly name: string;
  readonly in: 'query' | 'header' | 'path' | 'cookie';
  readonly required: boolean;
  readonly schema: JsonSchema;
}

export interface Operation {
  readonly method: string;
  /** The path under the document's server, e.g. `/commands/hotel.BookRoom`. */
  readonly path: string;
  /** The operation's first tag: `commands`, `queries`, or whatever else the document says. */
  readonly tag: string;
  readonly parameters: readonly Parameter[];
  /** The JSON body's schema; undefined when the operation takes no body. */
  readonly body: JsonSchema | undefined;
}

type Node = Readonly<Record<string, unknown>>;

/**
 * Lists every operation of `doc`, with `$ref`s resolved (schemas inside properties too).
 *
 * @example
 * const operations = operationsOf(await openApiOf(agent, api));
 * operations.filter((o) => o.tag === 'commands').map((o) => o.path);
 */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  const resolve = (node: unknown): Node => {
    let current = node as Node;
    for (let hops = 0; typeof current.$ref === 'string'; hops++) {
      if (hops > 20) throw new Error(`OpenAPI: $ref loop at ${current.$ref}`);
      const path = current.$ref.replace(/^#\//, '').split('/');
      let target: unknown = doc;
      for (const part of path) target = (target as Node | undefined)?.[part];
      if (target === undefined) throw new Error(`OpenAPI: unresolved $ref ${current.$ref}`);
      current = target as Node;
    }
    return current;
  };
  const schema = (node: unknown, depth = 0): JsonSchema => {
    const resolved = resolve(node) as JsonSchema;
    if (depth > 10) return resolved;
    const properties =
      resolved.properties === undefined
        ? undefined
        : Object.fromEntries(Object.entries(resolved.properties).map(([k, v]) => [k, schema(v, depth + 1)]));
    return {
      ...resolved,
      ...(properties === undefined ? {} : { properties }),
      ...(resolved.items === undefined ? {} : { items: schema(resolved.items, depth + 1) }),
      ...(resolved.anyOf === undefined ? {} : { anyOf: resolved.anyOf.map((s) => schema(s, depth + 1)) }),
      ...(resolved.oneOf === undefined ? {} : { oneOf: resolved.oneOf.map((s) => schema(s, depth + 1)) }),
    };
  };
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, value] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const operation = value as Node;
      const parameters = ((operation.parameters as unknown[] | undefined) ?? []).map((p) => {
        const parameter = resolve(p);
        return {
          name: String(parameter.name),
          in: parameter.in as Parameter['in'],
          required: parameter.required === true,
          schema: schema(parameter.schema ?? {}),
        };
      });
      const content = (resolve(operation.requestBody ?? {}).content ?? {}) as Node;
      const json = content['application/json'] as Node | undefined;
      operations.push({
        method: method.toUpperCase(),
        path,
        tag: String((operation.tags as unknown[] | undefined)?.[0] ?? ''),
        parameters,
        body: json === undefined ? undefined : schema(json.schema ?? {}),
      });
    }
  }
  return operations;
}

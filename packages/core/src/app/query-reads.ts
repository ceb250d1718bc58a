import type { ReadModelProgress } from '../consistency/read-model-progress.js';
import { InvalidArgumentError } from '../errors/errors.js';
import type { QueryHandlerContext } from '../mediator/context.js';
import type { PayloadOf, QueryDefinition, ResultOf } from '../messages/define.js';
import type { DocumentReader, DocumentTx } from '../projections/documents.js';
import type { Projection } from '../projections/projection.js';

/** A projection of a {@link Twofold} app: an asynchronous one, or an inline one written for `InlineTx`. */
export type AppProjection<InlineTx> = Projection<DocumentTx> | Projection<InlineTx>;

/**
 * What a query handler of a {@link Twofold} app receives: the usual query context, and `read(projection)`, the
 * committed read model of one of the projections the query names in its `reads`.
 */
export interface AppQueryContext<D extends QueryDefinition, InlineTx = never> extends QueryHandlerContext<D> {
  /** The read model of `projection`, which must be one the query names in `reads`, whether it is inline or not. */
  read(projection: AppProjection<InlineTx>): DocumentReader;
}

/** Answers one query of a {@link Twofold} app. */
export type AppQueryHandler<D extends QueryDefinition, InlineTx = never> = (
  params: PayloadOf<D>,
  ctx: AppQueryContext<D, InlineTx>,
) => ResultOf<D> | Promise<ResultOf<D>>;

/** Options of {@link Twofold.query}. */
export interface AppQueryOptions<InlineTx = never> {
  /**
   * The projections the handler reads. `read()` hands out only these, and `ask(query, params, { after })` waits
   * for exactly these to pass `after` before the handler runs.
   */
  readonly reads?: readonly AppProjection<InlineTx>[];
}

/** Where a query finds the projections it names, once the app has them. */
export interface ProjectionLookup {
  progress(name: string): ReadModelProgress;
  reader(name: string): DocumentReader;
}

/** The names of `reads`, checked: projections from projection(), each named once. */
export function readNames(query: string, reads: unknown): readonly string[] {
  if (reads === undefined) return [];
  if (!Array.isArray(reads)) {
    throw new InvalidArgumentError(`query('${query}'): options.reads must be an array of projections`);
  }
  const names = reads.map((read: Partial<Projection> | null) => {
    if (typeof read?.name !== 'string' || typeof read.apply !== 'function') {
      throw new InvalidArgumentError(`query('${query}'): each of options.reads must be a projection from projection()`);
    }
    return read.name;
  });
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) throw new InvalidArgumentError(`query('${query}'): reads names '${twice}' twice`);
  return names;
}

/** The progress of each named projection, looked up when a query waits (the projections may come later). */
export function lazyProgress(names: readonly string[], lookup: ProjectionLookup): ReadModelProgress[] {
  return names.map((name) => ({
    name,
    waitFor: (position, signal) => lookup.progress(name).waitFor(position, signal),
  }));
}

/** Wraps an app query handler into a mediator one: the same context plus `read()`, limited to `names`. */
export function withReads<D extends QueryDefinition, InlineTx>(
  query: string,
  names: readonly string[],
  lookup: ProjectionLookup,
  handler: AppQueryHandler<D, InlineTx>,
): (params: PayloadOf<D>, ctx: QueryHandlerContext<D>) => ResultOf<D> | Promise<ResultOf<D>> {
  const read = (projection: AppProjection<InlineTx>): DocumentReader => {
    const name = projection?.name;
    if (typeof name !== 'string' || !names.includes(name)) {
      throw new InvalidArgumentError(
        `query('${query}') reads projection '${String(name)}' without naming it: add it to the query's reads`,
      );
    }
    return lookup.reader(name);
  };
  return (params, ctx) =>
    handler(params, {
      envelope: ctx.envelope,
      principal: ctx.principal,
      tenant: ctx.tenant,
      signal: ctx.signal,
      logger: ctx.logger,
      ask: (q, p, o) => ctx.ask(q, p, o),
      stream: (q, p, o) => ctx.stream(q, p, o),
      read,
    });
}

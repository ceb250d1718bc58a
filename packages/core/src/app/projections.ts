import type { ReadModelProgress } from '../consistency/read-model-progress.js';
import type { Database } from '../database/database.js';
import { InvalidArgumentError } from '../errors/errors.js';
import type { Participant } from '../event-store/ports.js';
import type { NewEvent, RecordedEvent } from '../event-store/records.js';
import type { DocumentReader } from '../projections/documents.js';
import { type InlineProjection, inlineProjection } from '../projections/inline.js';
import type { InlineProjectionStore, ProjectionStore } from '../projections/ports.js';
import type { Projection } from '../projections/projection.js';
import { ProjectionRunner } from '../projections/runner.js';
import { ReadSide } from '../read-side/read-side.js';
import type { Logger } from '../runtime/logger.js';
import type { ProjectionLookup } from './query-reads.js';

/** Options of {@link Twofold.projection}. */
export interface ProjectionOptions {
  /**
   * Apply the projection in each command's own transaction, so that its read model has the command's effect the
   * moment the command returns, and a query never waits for it; a handler that throws then fails the command.
   * The database's documents must be able to (memory, SQLite and PostgreSQL handles can), and the handlers get
   * what they hand inline projections (`InlineDocumentTx` on memory and SQLite). Default: false, a runner
   * applies it beside the app after each commit, and its handlers get a `DocumentTx`.
   */
  readonly inline?: boolean;
}

interface Entry<WriteTx> {
  /** Applies it beside the app; for an inline one, brings it up to the end of the log at start. */
  readonly runner: ProjectionRunner<unknown>;
  readonly inline: InlineProjection<WriteTx> | undefined;
}

/** The projections of a {@link Twofold} app: inline ones within each commit, the others in runners. */
export class AppProjections<WriteTx, InlineTx> implements ProjectionLookup {
  readonly #store: Database<WriteTx, InlineTx>;
  readonly #logger: Logger;
  readonly #entries = new Map<string, Entry<WriteTx>>();
  #inline: readonly InlineProjection<WriteTx>[] = [];
  #readSide: ReadSide | undefined;

  constructor(store: Database<WriteTx, InlineTx>, logger: Logger) {
    this.#store = store;
    this.#logger = logger;
  }

  /**
   * Joins every commit of the write models: applies the inline projections, once they have caught up, each having
   * taken its turn before the commit wrote its events where the store makes commits take turns.
   */
  readonly participant: Participant<WriteTx> = Object.assign(
    (tx: WriteTx, events: readonly RecordedEvent[]) =>
      inOrder(this.#inline, 0, (inline) => inline.participant(tx, events)),
    {
      before: (tx: WriteTx, events: readonly NewEvent[]) =>
        inOrder(this.#inline, 0, (inline) => inline.participant.before?.(tx, events)),
    },
  );

  /** Adds a projection; its handlers take a `DocumentTx`, or the inline store's transaction with `inline`. */
  add(projection: Projection<unknown>, options: ProjectionOptions | undefined): void {
    if (typeof projection?.apply !== 'function' || typeof projection.name !== 'string') {
      throw new InvalidArgumentError('projection(): pass a projection made with projection()');
    }
    const { name } = projection;
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new InvalidArgumentError(`projection('${name}'): options must be an object such as { inline: true }`);
    }
    if (options?.inline !== undefined && typeof options.inline !== 'boolean') {
      throw new InvalidArgumentError(`projection('${name}'): options.inline must be true or false`);
    }
    if (this.#entries.has(name)) throw new InvalidArgumentError(`projection('${name}') is registered twice`);
    const { documents, events } = this.#store;
    const logger = this.#logger;
    if (options?.inline !== true) {
      const runner = new ProjectionRunner({
        projection,
        store: documents as ProjectionStore<unknown>,
        feed: events,
        logger,
      });
      this.#entries.set(name, { runner, inline: undefined });
      return;
    }
    const store = documents.inline;
    if (typeof store?.applyWithin !== 'function') {
      throw new InvalidArgumentError(
        `projection('${name}', { inline: true }): the database's documents cannot apply projections inline (they have no inline store)`,
      );
    }
    const runner = new ProjectionRunner({ projection, store: store as ProjectionStore<unknown>, feed: events, logger });
    this.#entries.set(name, {
      runner,
      inline: inlineProjection(projection, store as InlineProjectionStore<WriteTx, unknown>),
    });
  }

  /** The projection named `name`; `who` names what asks in the error when there is none. */
  get(name: string, who: string): Entry<WriteTx> {
    const entry = this.#entries.get(name);
    if (entry === undefined) {
      throw new InvalidArgumentError(
        `${who} reads projection '${name}', which is not registered: add it with app.projection()`,
      );
    }
    return entry;
  }

  progress(name: string): ReadModelProgress {
    const entry = this.get(name, 'A query');
    return entry.inline?.progress ?? entry.runner.progress;
  }

  reader(name: string): DocumentReader {
    return this.#store.documents.read(name);
  }

  /** Brings the inline projections up to the end of the log and applies them from now on; starts the runners. */
  async start(): Promise<void> {
    const entries = [...this.#entries.values()];
    const inline: InlineProjection<WriteTx>[] = [];
    for (const entry of entries) {
      if (entry.inline === undefined) continue;
      await entry.runner.catchUp();
      inline.push(entry.inline);
    }
    this.#inline = inline;
    this.#readSide = new ReadSide({
      projections: entries.filter((entry) => entry.inline === undefined).map((entry) => entry.runner),
    });
    this.#readSide.start();
  }

  async stop(): Promise<void> {
    await this.#readSide?.stop();
  }
}

// Runs one step of each inline projection in turn within the commit: synchronously while they are (SQLite's
// transaction cannot wait), awaiting one that is not (PostgreSQL's can).
function inOrder<WriteTx>(
  inline: readonly InlineProjection<WriteTx>[],
  from: number,
  step: (inline: InlineProjection<WriteTx>) => void | Promise<void>,
): void | Promise<void> {
  for (let i = from; i < inline.length; i++) {
    const done = step(inline[i]!);
    if (done instanceof Promise) return done.then(() => inOrder(inline, i + 1, step));
  }
}

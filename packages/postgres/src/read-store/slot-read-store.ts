import {
  type GlobalPosition,
  type InlineProjectionStore,
  InvalidArgumentError,
  type ProjectionSlot,
  type ProjectionStore,
  type RecordedEvent,
  TwofoldError,
} from '@twofold/core';
import { type ProjectionRef, projectionName } from '@twofold/core/adapters';
import { type Migration, migrate } from '../connection/migrations.js';
import { Connection, type PostgresConnectionOptions, type PostgresTx, toNumber } from '../connection/pool.js';
import { slotMigrations } from './schema.js';

export { type ProjectionRef, projectionName };

function checkSlot(slot: ProjectionSlot): void {
  projectionName(slot?.projection);
  if (!Number.isSafeInteger(slot.version) || slot.version < 1 || slot.version > 2_147_483_647) {
    throw new InvalidArgumentError(
      `A projection version must be an integer >= 1; got ${String(slot.version)} for '${slot.projection}'`,
    );
  }
}

async function advance(tx: PostgresTx, slot: ProjectionSlot, to: GlobalPosition): Promise<void> {
  await tx.query(
    'UPDATE twofold_projection_slots SET checkpoint = $3, updated_at = now() WHERE projection = $1 AND version = $2',
    [slot.projection, slot.version, to],
  );
}

/**
 * What the PostgreSQL read stores share: a checkpoint per projection slot, moved in the same transaction as the
 * read model (the slot's row is locked for the length of it, so two nodes never apply the same batch), and the
 * pointer to the version queries read. A subclass says what a slot's data is.
 */
export abstract class SlotStore<Tx> implements ProjectionStore<Tx>, InlineProjectionStore<PostgresTx, Tx> {
  protected readonly db: Connection;
  readonly #owner: string;

  protected constructor(db: Connection, owner: string) {
    this.db = db;
    this.#owner = owner;
  }

  /** Connects and migrates the tables shared by every read store, then the subclass's own. */
  protected static async connect(
    options: PostgresConnectionOptions,
    owner: string,
    schema: { readonly component: string; readonly migrations: readonly Migration[] },
  ): Promise<Connection> {
    const db = new Connection(options, owner);
    try {
      await migrate(db, 'projection-slots', slotMigrations);
      await migrate(db, schema.component, schema.migrations);
      return db;
    } catch (error) {
      await db.end();
      throw error;
    }
  }

  /** Creates the storage of a slot written for the first time (within the writing transaction). */
  protected abstract createSlot(tx: PostgresTx, slot: ProjectionSlot): Promise<void>;
  /** Drops all data of a slot (within the activating transaction). */
  protected abstract dropSlot(tx: PostgresTx, slot: ProjectionSlot): Promise<void>;
  /** What a projection's handlers get to change the slot's read model inside a transaction. */
  protected abstract handle(tx: PostgresTx, slot: ProjectionSlot): Tx;
  /** Waits for writes the handle has sent without awaiting, failing with the first that failed. */
  protected abstract settle(handle: Tx): Promise<void>;

  async checkpoint(slot: ProjectionSlot): Promise<GlobalPosition> {
    checkSlot(slot);
    const { rows } = await this.db.query<{ checkpoint: string }>(
      'SELECT checkpoint FROM twofold_projection_slots WHERE projection = $1 AND version = $2',
      [slot.projection, slot.version],
    );
    return toNumber(rows[0]?.checkpoint) as GlobalPosition;
  }

  async commit(
    slot: ProjectionSlot,
    from: GlobalPosition,
    to: GlobalPosition,
    work: (tx: Tx) => void | Promise<void>,
  ): Promise<void> {
    checkSlot(slot);
    await this.db.transaction(async (tx) => {
      const at = await this.#open(tx, slot);
      if (at !== from) {
        throw new TwofoldError(
          'CONCURRENCY_CONFLICT',
          `Projection ${slot.projection}@${slot.version} is at ${at}, not ${from}: another runner applied these events`,
        );
      }
      const handle = this.handle(tx, slot);
      try {
        await work(handle);
      } finally {
        await this.settle(handle);
      }
      await advance(tx, slot, to);
    });
  }

  /**
   * Applies `events` inline, in the write store's transaction `writeTx`: the read model and its checkpoint commit
   * with the command, or not at all. The read store must be in the write store's database and schema.
   */
  async applyWithin(
    writeTx: PostgresTx,
    slot: ProjectionSlot,
    events: readonly RecordedEvent[],
    apply: (event: RecordedEvent, tx: Tx) => void | Promise<void>,
  ): Promise<void> {
    checkSlot(slot);
    const last = events.at(-1);
    if (last === undefined) return;
    await this.#open(writeTx, slot);
    const handle = this.handle(writeTx, slot);
    try {
      for (const event of events) await apply(event, handle);
    } finally {
      await this.settle(handle);
    }
    // Commits take the slot's lock in their own order, not their positions': never move the checkpoint back.
    await writeTx.query(
      'UPDATE twofold_projection_slots SET checkpoint = greatest(checkpoint, $3), updated_at = now() WHERE projection = $1 AND version = $2',
      [slot.projection, slot.version, last.position],
    );
  }

  async activeVersion(projection: string): Promise<number | undefined> {
    const { rows } = await this.db.query<{ version: number }>(
      'SELECT version FROM twofold_projection_active WHERE projection = $1',
      [projectionName(projection)],
    );
    return rows[0]?.version;
  }

  async activate(slot: ProjectionSlot): Promise<void> {
    checkSlot(slot);
    await this.db.transaction(async (tx) => {
      await this.#open(tx, slot);
      await tx.query(
        `INSERT INTO twofold_projection_active (projection, version) VALUES ($1, $2)
         ON CONFLICT (projection) DO UPDATE SET version = excluded.version`,
        [slot.projection, slot.version],
      );
      const { rows } = await tx.query<{ version: number }>(
        'SELECT version FROM twofold_projection_slots WHERE projection = $1 AND version <> $2',
        [slot.projection, slot.version],
      );
      for (const { version } of rows) {
        await this.dropSlot(tx, { projection: slot.projection, version });
        await tx.query('DELETE FROM twofold_projection_slots WHERE projection = $1 AND version = $2', [
          slot.projection,
          version,
        ]);
      }
    });
  }

  /** Closes the pool (when the store made it). Closing twice is harmless. */
  async close(): Promise<void> {
    await this.db.end();
  }

  protected get owner(): string {
    return this.#owner;
  }

  // The slot's checkpoint, locked until the transaction ends; creates the slot when it is written for the first time.
  async #open(tx: PostgresTx, slot: ProjectionSlot): Promise<number> {
    const created = await tx.query(
      'INSERT INTO twofold_projection_slots (projection, version) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [slot.projection, slot.version],
    );
    if (created.rowCount === 1) await this.createSlot(tx, slot);
    const { rows } = await tx.query<{ checkpoint: string }>(
      'SELECT checkpoint FROM twofold_projection_slots WHERE projection = $1 AND version = $2 FOR UPDATE',
      [slot.projection, slot.version],
    );
    return toNumber(rows[0]?.checkpoint);
  }
}

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
import type { PostgresClient, SchemaPool } from '../connection/schema-pool.js';
import { toNumber } from '../connection/schema-pool.js';

export { type ProjectionRef, projectionName };

function checkSlot(slot: ProjectionSlot): void {
  projectionName(slot?.projection);
  if (!Number.isSafeInteger(slot.version) || slot.version < 1 || slot.version > 2_147_483_647) {
    throw new InvalidArgumentError(
      `A projection version must be an integer >= 1; got ${String(slot.version)} for '${slot.projection}'`,
    );
  }
}

async function advance(tx: PostgresClient, slot: ProjectionSlot, to: GlobalPosition): Promise<void> {
  await tx.query(
    'UPDATE twofold_projection_slots SET checkpoint = $3, updated_at = now() WHERE projection = $1 AND version = $2',
    [slot.projection, slot.version, to],
  );
}

/**
 * A read store whose read models live in versioned projection slots, as the PostgreSQL read stores share it: a
 * checkpoint per slot, moved in the same transaction as the read model (the slot's row is locked for the length
 * of it, so two nodes never apply the same batch), and the pointer to the version queries read. A subclass says
 * what a slot's data is.
 */
export abstract class SlotReadStore<Tx> implements ProjectionStore<Tx>, InlineProjectionStore<PostgresClient, Tx> {
  protected readonly db: SchemaPool;
  readonly #owner: string;

  protected constructor(db: SchemaPool, owner: string) {
    this.db = db;
    this.#owner = owner;
  }

  /** Creates the storage of a slot written for the first time (within the writing transaction). */
  protected abstract createSlot(tx: PostgresClient, slot: ProjectionSlot): Promise<void>;
  /** Drops all data of a slot (within the activating transaction). */
  protected abstract dropSlot(tx: PostgresClient, slot: ProjectionSlot): Promise<void>;
  /** What a projection's handlers get to change the slot's read model inside a transaction. */
  protected abstract handle(tx: PostgresClient, slot: ProjectionSlot): Tx;
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
   * with the command, or not at all. The write store must be the `events` of this store's database handle.
   */
  async applyWithin(
    writeTx: PostgresClient,
    slot: ProjectionSlot,
    events: readonly RecordedEvent[],
    apply: (event: RecordedEvent, tx: Tx) => void | Promise<void>,
  ): Promise<void> {
    checkSlot(slot);
    if (!this.db.runs(writeTx)) {
      throw new InvalidArgumentError(
        `${this.#owner}.applyWithin(): the transaction is not one of this store's database handle: apply inline with the read stores of the handle whose events the command writes`,
      );
    }
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

  protected get owner(): string {
    return this.#owner;
  }

  // The slot's checkpoint, locked until the transaction ends; creates the slot when it is written for the first time.
  async #open(tx: PostgresClient, slot: ProjectionSlot): Promise<number> {
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

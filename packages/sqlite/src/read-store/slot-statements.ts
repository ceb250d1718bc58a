import type { ProjectionSlot } from '@twofold/core';
import type { SqliteTx } from '../connection/open.js';
import type { SqliteStatement as Statement } from '../driver/connection.js';

/** The slot bookkeeping statements of one connection. */
export class SlotStatements {
  readonly #checkpoint: Statement<[string, number], number>;
  readonly #create: Statement<[string, number]>;
  readonly #advance: Statement<[number, string, number]>;
  readonly #active: Statement<[string], number>;
  readonly #setActive: Statement<[string, number]>;
  readonly #versions: Statement<[string], number>;
  readonly #remove: Statement<[string, number]>;

  constructor(db: SqliteTx) {
    this.#checkpoint = db
      .prepare<[string, number], number>(
        'SELECT checkpoint FROM twofold_projection_slots WHERE projection = ? AND version = ?',
      )
      .pluck();
    this.#create = db.prepare(
      'INSERT INTO twofold_projection_slots (projection, version, checkpoint) VALUES (?, ?, 0) ON CONFLICT DO NOTHING',
    );
    this.#advance = db.prepare(
      'UPDATE twofold_projection_slots SET checkpoint = ? WHERE projection = ? AND version = ?',
    );
    this.#active = db
      .prepare<[string], number>('SELECT version FROM twofold_projection_active WHERE projection = ?')
      .pluck();
    this.#setActive = db.prepare(
      `INSERT INTO twofold_projection_active (projection, version) VALUES (?, ?)
       ON CONFLICT (projection) DO UPDATE SET version = excluded.version`,
    );
    this.#versions = db
      .prepare<[string], number>('SELECT version FROM twofold_projection_slots WHERE projection = ?')
      .pluck();
    this.#remove = db.prepare('DELETE FROM twofold_projection_slots WHERE projection = ? AND version = ?');
  }

  /** The slot's checkpoint; undefined when nothing was ever written to it. */
  checkpoint(slot: ProjectionSlot): number | undefined {
    return this.#checkpoint.get(slot.projection, slot.version);
  }

  /** Records the slot at checkpoint 0; true when it is new. */
  create(slot: ProjectionSlot): boolean {
    return this.#create.run(slot.projection, slot.version).changes === 1;
  }

  advance(slot: ProjectionSlot, to: number): void {
    this.#advance.run(to, slot.projection, slot.version);
  }

  active(projection: string): number | undefined {
    return this.#active.get(projection);
  }

  setActive(slot: ProjectionSlot): void {
    this.#setActive.run(slot.projection, slot.version);
  }

  versions(projection: string): number[] {
    return this.#versions.all(projection);
  }

  remove(projection: string, version: number): void {
    this.#remove.run(projection, version);
  }
}

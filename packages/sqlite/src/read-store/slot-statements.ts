import type { ProjectionSlot } from '@twofold/core';
import type { SlotDialect } from '@twofold/core/adapters';
import type { SqliteConnection } from '../connection/open.js';
import type { SqliteStatement as Statement } from '../driver/connection.js';

/**
 * The slot bookkeeping of a handle's connection, for the slot protocol of `@twofold/core/adapters`. Writers take
 * turns on SQLite, so reading a checkpoint needs no lock, and a checkpoint never needs keeping from moving back.
 */
export class SlotStatements implements SlotDialect<SqliteConnection> {
  readonly #checkpoint: Statement<[string, number], number>;
  readonly #create: Statement<[string, number]>;
  readonly #advance: Statement<[number, string, number]>;
  readonly #active: Statement<[string], number>;
  readonly #setActive: Statement<[string, number]>;
  readonly #versions: Statement<[string], number>;
  readonly #remove: Statement<[string, number]>;

  constructor(db: SqliteConnection) {
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

  checkpoint(_: SqliteConnection, slot: ProjectionSlot): number | undefined {
    return this.#checkpoint.get(slot.projection, slot.version);
  }

  create(_: SqliteConnection, slot: ProjectionSlot): boolean {
    return this.#create.run(slot.projection, slot.version).changes === 1;
  }

  advance(_: SqliteConnection, slot: ProjectionSlot, to: number): boolean {
    return this.#advance.run(to, slot.projection, slot.version).changes === 1;
  }

  activeVersion(projection: string): number | undefined {
    return this.#active.get(projection);
  }

  setActive(_: SqliteConnection, slot: ProjectionSlot): void {
    this.#setActive.run(slot.projection, slot.version);
  }

  versions(_: SqliteConnection, projection: string): number[] {
    return this.#versions.all(projection);
  }

  remove(_: SqliteConnection, slot: ProjectionSlot): void {
    this.#remove.run(slot.projection, slot.version);
  }
}

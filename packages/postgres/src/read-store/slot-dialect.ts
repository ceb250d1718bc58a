import type { ProjectionSlot } from '@twofold/core';
import type { SlotDialect } from '@twofold/core/adapters';
import { type PostgresClient, type SchemaPool, toNumber } from '../connection/schema-pool.js';

const WHERE_SLOT = 'WHERE projection = $1 AND version = $2';

// 'turn': the first half of the lock key of every slot's turn. The appenders' lock has another first half, and the
// migration lock is a bigint key, so neither is ever equal.
const TURN = 0x7475_726e;

/**
 * Takes the turn of `slot` (of the store in `schema`) within `tx`, until `tx` ends: an exclusive advisory lock,
 * which gives the transaction no id. Two slots whose names hash alike share a turn, which makes one wait for the
 * other's commits, nothing worse.
 */
export async function takeSlotTurn(tx: PostgresClient, schema: string, slot: ProjectionSlot): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(${TURN}, hashtext($1))`, [
    `${schema}.${slot.projection}@${slot.version}`,
  ]);
}

/**
 * The projection slots of a schema, as core's slot protocol drives them: `twofold_projection_slots` holds each
 * slot's checkpoint, read with `FOR UPDATE` so that the slot's row stays locked until the transaction ends (two
 * nodes never apply the same batch), and `twofold_projection_active` the version queries read. An inline commit
 * takes the same lock by moving the checkpoint, before it applies its events.
 */
export function postgresSlots(db: SchemaPool): SlotDialect<PostgresClient> {
  return {
    checkpoint: async (tx, slot) => {
      const { rows } = await tx.query<{ checkpoint: string }>(
        `SELECT checkpoint FROM twofold_projection_slots ${WHERE_SLOT} FOR UPDATE`,
        [slot.projection, slot.version],
      );
      return rows[0] === undefined ? undefined : toNumber(rows[0].checkpoint);
    },
    create: async (tx, slot) => {
      const { rowCount } = await tx.query(
        'INSERT INTO twofold_projection_slots (projection, version) VALUES ($1, $2) ON CONFLICT DO NOTHING',
        [slot.projection, slot.version],
      );
      return rowCount === 1;
    },
    advance: async (tx, slot, to, neverBack) => {
      const { rowCount } = await tx.query(
        `UPDATE twofold_projection_slots SET checkpoint = ${neverBack ? 'greatest(checkpoint, $3)' : '$3'},
         updated_at = now() ${WHERE_SLOT}`,
        [slot.projection, slot.version, to],
      );
      return rowCount === 1;
    },
    activeVersion: async (projection) => {
      const { rows } = await db.query<{ version: number }>(
        'SELECT version FROM twofold_projection_active WHERE projection = $1',
        [projection],
      );
      return rows[0]?.version;
    },
    setActive: async (tx, slot) => {
      await tx.query(
        `INSERT INTO twofold_projection_active (projection, version) VALUES ($1, $2)
         ON CONFLICT (projection) DO UPDATE SET version = excluded.version`,
        [slot.projection, slot.version],
      );
    },
    versions: async (tx, projection) => {
      const { rows } = await tx.query<{ version: number }>(
        'SELECT version FROM twofold_projection_slots WHERE projection = $1',
        [projection],
      );
      return rows.map((row) => row.version);
    },
    remove: async (tx: PostgresClient, slot: ProjectionSlot) => {
      await tx.query(`DELETE FROM twofold_projection_slots ${WHERE_SLOT}`, [slot.projection, slot.version]);
    },
  };
}

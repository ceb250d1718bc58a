import type { Migration } from '../connection/migrations.js';

/**
 * Positions encode the writing transaction: `(xid - base) * EVENTS_PER_COMMIT + n` for the n-th event of the
 * commit, where `xid` is the transaction's `pg_current_xact_id()` and `base` the id of the transaction that
 * created the schema. Global order is therefore transaction order, and a reader that takes only positions below
 * `(pg_snapshot_xmin(pg_current_snapshot()) - base) * EVENTS_PER_COMMIT` reads only finished transactions: any
 * transaction still running, or not yet begun, will land above everything it has read. No event is ever skipped.
 */
export const EVENTS_PER_COMMIT = 16_384;

export const eventStoreMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'events, streams, states, idempotency records and snapshots',
    up: (tx) =>
      tx.query(`
        CREATE TABLE twofold_meta (
          key text PRIMARY KEY,
          value bigint NOT NULL
        );
        INSERT INTO twofold_meta (key, value) VALUES ('xid_base', pg_current_xact_id()::text::bigint - 1);
        CREATE TABLE twofold_events (
          position bigint PRIMARY KEY,
          id text NOT NULL,
          stream_id text NOT NULL,
          stream_version integer NOT NULL,
          type text NOT NULL,
          schema_version integer NOT NULL,
          data text,
          metadata text NOT NULL,
          timestamp bigint NOT NULL,
          UNIQUE (stream_id, stream_version)
        );
        CREATE TABLE twofold_streams (
          stream_id text PRIMARY KEY,
          version integer NOT NULL
        );
        CREATE TABLE twofold_states (
          collection text NOT NULL,
          id text NOT NULL,
          version integer NOT NULL,
          state text,
          PRIMARY KEY (collection, id)
        );
        CREATE TABLE twofold_idempotency (
          key text PRIMARY KEY,
          result text,
          position bigint,
          at bigint NOT NULL
        );
        CREATE TABLE twofold_snapshots (
          name text NOT NULL,
          stream_id text NOT NULL,
          version integer NOT NULL,
          state text,
          PRIMARY KEY (name, stream_id)
        );
      `),
  },
];

import type { Migration } from '../connection/migrations.js';

/**
 * Positions encode the writing transaction: `(xid - base) * EVENTS_PER_COMMIT + n` for the n-th event of the
 * commit, where `xid` is the transaction's `pg_current_xact_id()` and `base` the id of the transaction that
 * created the schema. Global order is therefore transaction order, and a reader that takes only positions below
 * the oldest of the store's appending transactions still running (see visibility.ts) reads only finished appends:
 * any append still running, or not yet begun, will land above everything it has read. No event is ever skipped.
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
  {
    version: 2,
    name: 'twofold_append(): an append in one statement',
    // Locks the streams (in the order given), checks each append's expected version against the stream as it was
    // before this commit, and writes the events at positions from the transaction id. A failed check raises
    // TF409 (message: the stream; detail: its version; hint: the expected version, -1 any, -2 no stream), which
    // aborts the statement and so writes nothing.
    up: (tx) =>
      tx.query(`
        CREATE FUNCTION twofold_append(
          p_base bigint,
          p_streams text[], p_counts integer[],
          p_append_streams text[], p_append_expected integer[],
          p_event_streams text[], p_event_offsets integer[], p_ids text[], p_types text[],
          p_schema_versions integer[], p_data text[], p_metadata text[], p_timestamp bigint
        ) RETURNS TABLE (r_stream text, r_stored integer, r_xid bigint)
        LANGUAGE plpgsql AS $$
        DECLARE
          v_xid bigint := pg_current_xact_id()::text::bigint;
          v_streams text[];
          v_stored integer[];
          v_actual integer;
          v_expected integer;
        BEGIN
          WITH upserted AS (
            INSERT INTO twofold_streams AS s (stream_id, version)
              SELECT * FROM unnest(p_streams, p_counts)
            ON CONFLICT (stream_id) DO UPDATE SET version = s.version + excluded.version
            RETURNING s.stream_id, s.version
          )
          SELECT array_agg(u.stream_id), array_agg(u.version - c.n)
            INTO v_streams, v_stored
            FROM upserted u JOIN unnest(p_streams, p_counts) AS c(stream_id, n) ON c.stream_id = u.stream_id;
          FOR i IN 1 .. coalesce(array_length(p_append_streams, 1), 0) LOOP
            v_actual := v_stored[array_position(v_streams, p_append_streams[i])];
            v_expected := p_append_expected[i];
            IF NOT (v_expected = -1 OR (v_expected = -2 AND v_actual = 0) OR v_expected = v_actual) THEN
              RAISE EXCEPTION USING ERRCODE = 'TF409', MESSAGE = p_append_streams[i],
                DETAIL = v_actual::text, HINT = v_expected::text;
            END IF;
          END LOOP;
          INSERT INTO twofold_events (position, id, stream_id, stream_version, type, schema_version, data, metadata, timestamp)
            SELECT (v_xid - p_base) * ${EVENTS_PER_COMMIT} + e.n, e.id, e.stream, st.stored + e.off, e.type, e.sv, e.data,
                   e.md, p_timestamp
              FROM unnest(p_event_streams, p_event_offsets, p_ids, p_types, p_schema_versions, p_data, p_metadata)
                     WITH ORDINALITY AS e(stream, off, id, type, sv, data, md, n)
              JOIN unnest(v_streams, v_stored) AS st(stream_id, stored) ON st.stream_id = e.stream;
          RETURN QUERY SELECT st.stream_id, st.stored, v_xid FROM unnest(v_streams, v_stored) AS st(stream_id, stored);
        END
        $$;
      `),
  },
  {
    version: 3,
    name: 'stream versions from the events themselves',
    // An append is now one INSERT per stream, checked by the unique index on (stream_id, stream_version): the
    // streams table and its row locks, and the function that took them, are gone.
    up: (tx) =>
      tx.query(`
        DROP FUNCTION twofold_append;
        DROP TABLE twofold_streams;
      `),
  },
  {
    version: 4,
    name: 'idempotency records name their command, and are pruned by age',
    // Rows stored before keep NULL in both: the write models answer them as repeats, as they did when stored.
    up: (tx) =>
      tx.query(`
        ALTER TABLE twofold_idempotency ADD COLUMN command_type text, ADD COLUMN fingerprint text;
        CREATE INDEX twofold_idempotency_at ON twofold_idempotency (at);
      `),
  },
];

import type { Migration } from '../connection/migrations.js';

// What both versions of twofold_complete_and_claim() share: its signature and settings; the completions, one UPDATE
// each, found by id; the NOTIFY that tells them; the due commands to claim, each the earliest live one of its key, in
// claim order, skipping rows another claim holds; and the update that claims them.
const SIGNATURE = `twofold_complete_and_claim(
          p_ids text[], p_leases text[], p_results text[], p_positions bigint[],
          p_now bigint, p_limit integer, p_until bigint, p_channel text
        ) RETURNS TABLE (
          completed text[], told boolean, seq bigint, id text, type text, data text, envelope text, key text,
          priority integer, run_at bigint, enqueued_at bigint, status text, attempts integer, result text,
          "position" bigint, problem text, updated_at bigint, lease text, lease_until bigint
        )
        LANGUAGE plpgsql
        SET plan_cache_mode = force_generic_plan
        SET enable_sort = off
        SET enable_seqscan = off
        SET search_path FROM CURRENT
        AS $$
        #variable_conflict use_column
`;
const COMPLETE_EACH = `          FOR i IN 1 .. coalesce(cardinality(p_ids), 0) LOOP
            UPDATE twofold_commands t SET status = 'succeeded', result = p_results[i], position = p_positions[i],
                updated_at = p_now, lease = NULL, lease_until = NULL
              WHERE t.id = p_ids[i] AND t.lease = p_leases[i] AND t.status = 'running'
              RETURNING t.id INTO v_one;
            IF FOUND THEN
              v_done := v_done || v_one;
            END IF;
          END LOOP;
`;
const TELL = `          told := p_channel IS NOT NULL AND cardinality(v_done) > 0;
          IF told THEN
            PERFORM pg_notify(p_channel, '');
          END IF;
`;
const PICK_DUE = `          v_claimed := ARRAY(
            SELECT c.seq FROM twofold_commands c
            WHERE c.status IN ('queued', 'failed', 'running')
              AND (CASE WHEN c.status = 'running' THEN c.lease_until ELSE c.run_at END) <= p_now
              AND c.id <> ALL (p_ids)
              AND (c.key IS NULL OR NOT EXISTS (
                SELECT 1 FROM twofold_commands p
                WHERE p.key = c.key AND p.seq < c.seq AND p.status IN ('queued', 'failed', 'running')))
            ORDER BY c.priority DESC, c.run_at, c.seq
            LIMIT p_limit FOR UPDATE SKIP LOCKED);
`;
const CLAIM_PICKED = `          RETURN QUERY
            WITH claimed AS (
              UPDATE twofold_commands x SET status = 'running', attempts = x.attempts + 1,
                  lease = md5(random()::text || clock_timestamp()::text || x.seq::text), lease_until = p_until,
                  updated_at = p_now
                WHERE x.seq = ANY (v_claimed)
                RETURNING x.*)
`;

export const commandQueueMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'command queue',
    up: (tx) =>
      tx.query(`
        CREATE TABLE twofold_commands (
          seq bigserial PRIMARY KEY,
          id text NOT NULL UNIQUE,
          type text NOT NULL,
          data text NOT NULL,
          envelope text NOT NULL,
          key text,
          priority integer NOT NULL,
          run_at bigint NOT NULL,
          enqueued_at bigint NOT NULL,
          status text NOT NULL,
          attempts integer NOT NULL,
          lease text,
          lease_until bigint,
          result text,
          position bigint,
          problem text,
          updated_at bigint NOT NULL
        );
        CREATE INDEX twofold_commands_due ON twofold_commands (priority DESC, run_at, seq)
          WHERE status IN ('queued', 'failed', 'running');
        CREATE INDEX twofold_commands_by_key ON twofold_commands (key, seq)
          WHERE key IS NOT NULL AND status IN ('queued', 'failed', 'running');
        CREATE INDEX twofold_commands_dead ON twofold_commands (seq) WHERE status = 'dead';
      `),
  },
  {
    version: 2,
    name: 'twofold_complete_and_claim(): completions and a claim in one call, planned once per connection',
    // Completes the held commands of p_ids (one lease each), tells p_channel once in the commit when one changed,
    // then claims up to p_limit due commands, each the earliest live one of its key, skipping rows another claim
    // holds. Its first row names the completed ids; the claimed rows follow, or one row with no command.
    //
    // A statement with LIMIT $n is planned anew on each call: its generic plan, costed for a tenth of the due rows,
    // never wins over a custom one (0.4 ms of planning for 0.3 ms of work). The function's statements keep their
    // plan per connection (`plan_cache_mode`). "Due" is one expression filtered on the rows of the due index, not an
    // OR of two conditions that would become bitmap scans and a sort of every due command: so the claim walks the
    // index in claim order and stops at the limit, whatever the limit, and the claimed rows are then updated by seq.
    // A plan kept is made from the statistics of its time: one made while the table looked empty sorted every due
    // command and scanned the whole table on each call (70 to 300 ms a claim with 50,000 due among 250,000 rows, for
    // the minute until autovacuum's ANALYZE). No sort and no sequential scan (`enable_sort`, `enable_seqscan`) keep
    // every statement on its index whatever the statistics said.
    // Each statement sees the ones before it: a key's next command is claimable once its earlier one is completed.
    //
    // The output columns are the table's: a migration that changes them replaces this function.
    up: (tx) =>
      tx.query(`
        CREATE FUNCTION ${SIGNATURE}        DECLARE
          v_done text[] := '{}';
          v_one text;
          v_claimed bigint[];
        BEGIN
${COMPLETE_EACH}          completed := v_done;
${TELL}${PICK_DUE}${CLAIM_PICKED}            SELECT v_done, told, c.seq, c.id, c.type, c.data, c.envelope, c.key, c.priority, c.run_at, c.enqueued_at,
                   c.status, c.attempts, c.result, c.position, c.problem, c.updated_at, c.lease, c.lease_until
              FROM claimed c;
          IF NOT FOUND THEN
            RETURN NEXT;
          END IF;
        END
        $$;
      `),
  },
  {
    version: 3,
    name: 'twofold_complete_and_claim(): the completed ids named once',
    // The same calls as the second migration's function; only its first row, which carries no command, names the
    // completed ids and whether they were told, and the claimed rows follow it with neither, so that a client does
    // not parse the list of completed ids once per claimed command.
    up: (tx) =>
      tx.query(`
        CREATE OR REPLACE FUNCTION ${SIGNATURE}        DECLARE
          v_done text[] := '{}';
          v_one text;
          v_claimed bigint[];
        BEGIN
          -- One statement per completion, each found by its id: a statement joined to the arrays was planned, on a
          -- connection that planned it while the queue was empty, as a scan of every live command.
${COMPLETE_EACH}          completed := v_done;
${TELL}          RETURN NEXT;
${PICK_DUE}${CLAIM_PICKED}            SELECT NULL::text[], NULL::boolean, c.seq, c.id, c.type, c.data, c.envelope, c.key, c.priority,
                   c.run_at, c.enqueued_at, c.status, c.attempts, c.result, c.position, c.problem, c.updated_at,
                   c.lease, c.lease_until
              FROM claimed c;
        END
        $$;
      `),
  },
];

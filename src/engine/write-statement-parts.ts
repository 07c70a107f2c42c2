// The parts the write statements (write-updates.ts, write-creations.ts) are built from, each a CTE list with its
// own reason. Events arrive as one JSON array (one parameter, however many events) and the instance ids once more
// on their own (`ids`, src/db/id-list-statement.ts): the planner takes the JSON for 100 rows and would
// rather scan every instance than look that many up, where the ids tell it how few there are.
import { scalarViewFacts } from './view-row.js';

/** The columns of one event in the JSON parameter (transition-write.ts writesJson). */
export const EVENT_COLUMNS = `i int, id text, seq int, state text, snapshot jsonb, employer_id text, freelancer_id text,
  type text, actor text, role text, payload jsonb, from_state jsonb, to_state jsonb, machine_version int,
  request_id text, client_id text, outbox jsonb, notifications jsonb, stamp text`;

export const INPUT_CTE = `input AS (SELECT * FROM jsonb_to_recordset(?::jsonb) AS t(${EVENT_COLUMNS}))`;

// An instance may have several events, with consecutive seqs in order (a transaction's chained events): its row is
// written once, from its last event (`final`), and only while it is still at the seq its first event was checked
// against (the compare-and-set). A row another transaction holds (a settlement batch holding a project) is
// skipped rather than waited for (`lockable`): one waiting write would hold up every event of its batch, so the
// caller takes that event alone to the locking path instead. An event judged on a row this process remembered from
// its own write (apply-event-unlocked.ts) carries that write's `stamp`, its updated_at to the microsecond: seq alone
// could match a different row after a failover or restore lost the write (another writer's event at the same seq).
// `ids` matches the instance ids (src/db/id-list-statement.ts idsMatch).
export const updateCtes = (ids: string): string => `final AS (
    SELECT DISTINCT ON (input.id) input.*, head.seq - 1 AS from_seq
    FROM input JOIN (SELECT DISTINCT ON (id) id, seq FROM input ORDER BY id, seq) AS head USING (id)
    ORDER BY input.id, input.seq DESC
  ), lockable AS (
    SELECT id FROM instances WHERE id ${ids} FOR NO KEY UPDATE SKIP LOCKED
  ), updated AS (
    UPDATE instances AS x
    SET seq = f.seq, state = f.state, snapshot = f.snapshot, employer_id = f.employer_id,
        freelancer_id = f.freelancer_id, updated_at = now()
    FROM final AS f JOIN lockable USING (id)
    WHERE x.id = f.id AND x.seq = f.from_seq AND (f.stamp IS NULL OR x.updated_at = f.stamp::timestamptz)
    RETURNING x.id, x.n, x.created_at, x.updated_at, x.updated_at::text AS stamp
  )`;

// Every history, outbox and inbox row of the events in `written` (the events whose instance the statement wrote;
// an event another one got ahead of writes nothing at all), outbox rows in event order: the relay and settlement
// take commands in outbox order. The caller signals the relay after commit (src/signals/signal-bus.ts).
// A `transition` row exists only to be fanned out to webhooks: while no webhook is live nobody would read it, so it
// is not written (a webhook created later gets the events applied after it, as it would anyway). The snapshot of
// this statement decides, as it decides everything else the event saw.
export const ROW_CTES = `history_rows AS (
    INSERT INTO history (instance_id, seq, type, actor, role, payload, from_state, to_state, machine_version, client_id)
    SELECT id, seq, type, actor, role, payload, from_state, to_state, machine_version, client_id FROM written
  ), outbox_rows AS (
    INSERT INTO outbox (instance_id, seq, topic, payload, request_id, client_id)
    SELECT w.id, w.seq, r.topic, r.payload, w.request_id, w.client_id
    FROM written AS w,
         ROWS FROM (jsonb_to_recordset(w.outbox) AS (topic text, payload jsonb)) WITH ORDINALITY AS r(topic, payload, k)
    WHERE r.topic <> 'transition' OR EXISTS (SELECT 1 FROM webhooks WHERE deleted_at IS NULL)
    ORDER BY w.i, r.k
    RETURNING instance_id
  ), inbox_rows AS (
    INSERT INTO notifications (user_id, type, instance_id, seq, message, request_id, client_id)
    SELECT n.user_id, n.type, w.id, w.seq, n.message, w.request_id, w.client_id
    FROM written AS w,
         ROWS FROM (jsonb_to_recordset(w.notifications) AS ("userId" text, type text, message text))
           WITH ORDINALITY AS n(user_id, type, message, k)
    ORDER BY w.i, n.k
  )`;

// What became of each updated instance, decided here rather than inferred from a missing row: written; busy
// (another transaction holds a row that exists); or moved (no longer at the seq the event was checked against).
// `relay`: the instance's events left outbox rows, so the relay has work (the caller signals it only then).
// With it, for an event judged on a remembered row (it carries a stamp), the instance's view facts as this statement
// sees them (escrow balance, armed timers): its reply never shows facts from memory (apply-event-unlocked.ts). An
// event judged on a fresh read keeps the facts that read returned, so the statement computes none for it.
export const UPDATE_OUTCOMES = `SELECT f.id,
    CASE WHEN u.id IS NOT NULL THEN 'written'
         WHEN l.id IS NULL AND EXISTS (SELECT 1 FROM instances WHERE instances.id = f.id) THEN 'busy'
         ELSE 'moved' END AS outcome,
    u.n, u.created_at, u.updated_at, EXISTS (SELECT 1 FROM outbox_rows AS o WHERE o.instance_id = f.id) AS relay,
    u.stamp, ${scalarViewFacts('f', 'f.stamp IS NOT NULL')}
  FROM final AS f LEFT JOIN updated AS u USING (id) LEFT JOIN lockable AS l USING (id)`;

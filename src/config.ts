import { z } from 'zod';
import { UrlPolicy } from './net/url-policy.js';

// Every limit and duration is named here with its unit (STYLE §4) and validated at start,
// so a typo in the environment stops the process with a clear message instead of a late surprise.
const DAY_MS = 24 * 60 * 60 * 1000;
// setTimeout-style delays above 2^31-1 ms overflow; BullMQ delays are fine, but keep durations sane (≤ 5 years).
const MAX_DURATION_MS = 5 * 365 * DAY_MS;

const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: DAY_MS };
// A duration whose variable name carries no unit: milliseconds, or a number with a unit (ms, s, m, h, d).
const duration = z
  .string()
  .regex(/^[0-9]{1,13}(ms|s|m|h|d)?$/, 'must be milliseconds or a number with a unit: 500ms, 90s, 30m, 24h, 7d')
  .transform((s) => {
    const [, amount = '', unit = 'ms'] = /^([0-9]+)([a-z]*)$/.exec(s) ?? [];
    return Number(amount) * DURATION_UNIT_MS[unit || 'ms']!;
  })
  .pipe(z.number().int().min(100, 'must be at least 100 ms').max(MAX_DURATION_MS, 'must be at most 5 years'));

const schema = z.object({
  DATABASE_URL: z
    .string()
    .url()
    .default('postgres://root@127.0.0.1:5432/escrow')
    .describe('Postgres connection URL; the database is created if missing and migrated on start'),
  // Behind a transaction-mode pooler each transaction may get another server connection, so a statement prepared
  // by name on one is missing (or taken) on the next; PgBouncer ≥ 1.21 with max_prepared_statements copes with
  // named statements, older ones need them off (docs/scaling.md).
  DATABASE_PREPARED_STATEMENTS: z
    .stringbool()
    .default(true)
    .describe(
      'false: the hot path uses unnamed statements only, for a transaction-mode pooler without prepared-statement support (PgBouncer < 1.21)',
    ),
  // Lag-tolerant reads (lists, history, replay, stats, statements, the console) go to this streaming replica;
  // writes, event replies, single-instance reads and ?wait=settled stay on DATABASE_URL (docs/scaling.md).
  DATABASE_READ_URL: z
    .string()
    .refine((s) => s === '' || URL.canParse(s), 'must be a postgres:// URL or empty')
    .default('')
    .describe(
      'Postgres streaming replica for lag-tolerant reads (lists, history, replay, stats, statements, console); empty = every read on DATABASE_URL',
    ),
  READ_REPLICA_MAX_LAG_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(3_600_000)
    .default(5_000)
    .describe('a replica further behind the primary than this is not read from: its reads go to the primary'),
  READ_REPLICA_CHECK_MS: z.coerce
    .number()
    .int()
    .min(10)
    .max(600_000)
    .default(500)
    .describe("how often the replica's replay position is compared with the primary's (must stay below the lag bound)"),
  REDIS_URL: z
    .string()
    .url()
    .default('redis://127.0.0.1:6379')
    .describe('Redis connection URL (BullMQ queues, wake-up signals); not used when REDIS_CLUSTER_NODES is set'),
  // A Redis Cluster instead of one server (docs/scaling.md): the seed nodes; the client learns the rest.
  REDIS_CLUSTER_NODES: z
    .string()
    .regex(/^([A-Za-z0-9.-]+:[0-9]{1,5}(,[A-Za-z0-9.-]+:[0-9]{1,5})*)?$/, 'must be host:port,host:port,…')
    .default('')
    .describe(
      'Redis Cluster seed nodes as host:port,host:port; set, every Redis connection is a cluster client instead of REDIS_URL',
    ),
  HOST: z.string().default('127.0.0.1').describe('address the API listens on'),
  PORT: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(3000)
    .describe('port the API listens on (0 picks a free port)'),
  // Empty means "derive from the database name", so two deployments or test runs on one Redis stay apart.
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]*$/)
    .default('')
    .describe(
      "BullMQ key prefix; empty derives escrow:<database name>, so two deployments on one Redis never take each other's jobs",
    ),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('pino log level'),
  DB_POOL_MAX: z.coerce.number().int().min(2).max(200).default(10).describe('Postgres connections per process'),
  // Group commit on the API's hot path (src/db/batcher.ts): events that arrive while GROUP_COMMIT_IN_FLIGHT
  // reads (and as many writes) are already running share the next statement, up to GROUP_COMMIT_MAX_EVENTS each.
  GROUP_COMMIT_MAX_EVENTS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000)
    .default(64)
    .describe("most events one shared read or write statement of the API's hot path carries"),
  // Rows the API remembers from its own writes, so an instance's next event skips its read (remembered-rows.ts).
  // A row is a few kB of heap: 4,096 of them are ~10-20 MB, enough for every instance a busy client is driving.
  REMEMBERED_ROWS_MAX: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(4096)
    .describe(
      "instance rows the API remembers from its own writes, so that an instance's next event skips its read; 0 = off",
    ),
  GROUP_COMMIT_IN_FLIGHT: z.coerce
    .number()
    .int()
    .min(1)
    .max(50)
    .default(1)
    .describe(
      'shared reads (and as many writes) running at once on the hot path; events arriving meanwhile join the next; twice it must stay below DB_POOL_MAX',
    ),
  // Before its first request, the API runs its own request path against empty temporary copies of the tables for
  // this long, so that a new process does not serve its first seconds at 2.5 times the CPU per request (src/warmup/).
  WARMUP_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(60_000)
    .default(3000)
    .describe('how long the API warms up its request path before it listens (nothing is written); 0 = off'),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(10 * 1024 * 1024)
    .default(64 * 1024)
    .describe('largest request body; a larger one is refused with 413 payload_too_large'),
  IDEMPOTENCY_KEY_MAX_CHARS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(200)
    .describe('longest Idempotency-Key accepted'),
  // How long an Idempotency-Key is remembered, in milliseconds or with a unit ("24h", "30m", "90s", "500ms").
  // A client's retries of one request arrive within minutes; a day covers a retry queue drained after an outage,
  // and past it the key is forgotten (the same key then runs its request anew) so the table does not grow without
  // bound: workers delete expired keys every IDEMPOTENCY_EXPIRY_INTERVAL_MS, at most
  // IDEMPOTENCY_EXPIRY_BATCH_SIZE rows per statement, so no sweep holds long locks or one big transaction.
  IDEMPOTENCY_KEY_TTL: duration
    .default(DAY_MS)
    .describe(
      'how long an Idempotency-Key is remembered, in ms or with a unit (24h, 30m, 90s); then the same key runs its request anew',
    ),
  IDEMPOTENCY_EXPIRY_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(10)
    .max(86_400_000)
    .default(60_000)
    .describe('how often workers delete expired idempotency keys'),
  IDEMPOTENCY_EXPIRY_BATCH_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(1_000)
    .describe('most expired idempotency keys one delete statement removes'),
  LIST_LIMIT_DEFAULT: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(50)
    .describe('page size of a list when the request names no limit'),
  LIST_LIMIT_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(200)
    .describe('largest limit a list or history request may ask for'),
  WAIT_TIMEOUT_DEFAULT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(600_000)
    .default(5_000)
    .describe('how long ?wait=settled waits when the request names no timeoutMs'),
  WAIT_TIMEOUT_MAX_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(600_000)
    .default(30_000)
    .describe('longest timeoutMs ?wait=settled accepts'),
  WAIT_RECHECK_MS: z.coerce
    .number()
    .int()
    .min(10)
    .max(60_000)
    .default(250)
    .describe('a waiting request re-reads the milestone this often even without a wake-up signal'),
  RELAY_POLL_MS: z.coerce
    .number()
    .int()
    .min(10)
    .max(600_000)
    .default(1_000)
    .describe('the outbox relay polls this often when no signal wakes it'),
  // Wake-up hints between processes (src/signals/signal-bus.ts) go out at most this often per channel.
  SIGNAL_COALESCE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000)
    .default(5)
    .describe('wake-up signals between processes go out at most this often per channel'),
  RELAY_BATCH_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(200)
    .describe('most outbox rows one relay pass moves'),
  // Settlement jobs in flight per worker process; those that arrive while SETTLEMENT_BATCHES_IN_FLIGHT batches
  // run are settled together, up to SETTLEMENT_BATCH_MAX in one transaction (workers/settlement.ts).
  SETTLEMENT_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000)
    .default(32)
    .describe(
      "settlement jobs in flight per worker process (they feed the batches; a relay's job carries up to SETTLEMENT_BATCH_MAX commands)",
    ),
  SETTLEMENT_BATCH_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000)
    .default(32)
    .describe("most settlement commands settled in one transaction, and carried by one of the relay's jobs"),
  SETTLEMENT_BATCHES_IN_FLIGHT: z.coerce
    .number()
    .int()
    .min(1)
    .max(50)
    .default(2)
    .describe('settlement transactions running at once per worker process'),
  SETTLEMENT_ATTEMPTS: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(10)
    .describe('BullMQ attempts of a settlement job that fails transiently'),
  SETTLEMENT_BACKOFF_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(600_000)
    .default(500)
    .describe('first retry delay of a settlement job (doubles each attempt)'),
  JOBS_KEEP_COMPLETED: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(1_000)
    .describe('completed jobs kept in Redis per queue (BullMQ keeps all by default)'),
  JOBS_KEEP_FAILED: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(10_000)
    .describe('failed jobs kept in Redis per queue'),
  // Platform fee on releases, in basis points of the released amount; 0 = off (docs/concepts.md default).
  PLATFORM_FEE_BPS: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(0)
    .describe(
      'platform fee on releases in basis points, rounded down; 0 = off; recorded in each milestone at creation (machine version 3 on)',
    ),
  // Dispute and project deadlines (docs/concepts.md defaults). Each instance records the values it started with.
  DISPUTE_FREELANCER_RESPONSE_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_DURATION_MS)
    .default(4 * DAY_MS)
    .describe("time the freelancer has to respond to an employer's dispute (4 days); recorded per milestone"),
  DISPUTE_EMPLOYER_RESPONSE_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_DURATION_MS)
    .default(14 * DAY_MS)
    .describe("time the employer has to respond to a freelancer's dispute (14 days); recorded per milestone"),
  ARBITRATION_FEE_WINDOW_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_DURATION_MS)
    .default(7 * DAY_MS)
    .describe('time the other party has to match a paid arbitration fee (7 days); recorded per milestone'),
  FEEDBACK_WINDOW_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_DURATION_MS)
    .default(90 * DAY_MS)
    .describe('feedback window after COMPLETE (90 days); recorded per project'),
  PROJECT_CANCEL_REQUEST_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_DURATION_MS)
    .default(28 * DAY_MS)
    .describe('an unanswered project-cancel request from the freelancer is decided after this (28 days)'),
  // Bounded growth (issue 15; docs/security.md "Bounded growth"). Caps new milestones (machine version 3) record
  // in their context at creation, like the dispute deadlines: changing them never rewrites a running milestone,
  // and replay judges each instance by the caps it recorded. Each capped event is one history row and one
  // notice, so without caps one party could grow a milestone's history, its notices and (before version 3, which
  // keeps evidence text out of the snapshot) every reply about it, without limit.
  // Pieces of evidence one dispute takes: far more than a real case needs (a statement, files, replies).
  EVIDENCE_MAX_PER_DISPUTE: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(50)
    .describe('pieces of evidence one dispute takes (recorded per milestone, version 3 on)'),
  // Total UTF-8 bytes of evidence text one dispute takes: 256 KiB, about 25 maximal (10,000-character) pieces.
  EVIDENCE_MAX_BYTES_PER_DISPUTE: z.coerce
    .number()
    .int()
    .min(1)
    .max(100 * 1024 * 1024)
    .default(256 * 1024)
    .describe('total UTF-8 bytes of evidence text one dispute takes (recorded per milestone, version 3 on)'),
  // REQUEST_CANCEL per milestone over its life. The cap bounds growth (each round is two history rows and a
  // notice), it is not a business rule: 10,000 rounds is about 10 MB of history, and an internal service that
  // drives one milestone's flag as fast as the engine answers (~60 requests/s per milestone at 16 clients on two
  // cores) meets it only after minutes. A marketplace that wants renewals limited as policy sets it low.
  CANCEL_REQUESTS_MAX_PER_MILESTONE: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(10_000)
    .describe('REQUEST_CANCEL events one milestone takes over its life (version 3 on)'),
  // Disputes opened per milestone over its life (each withdrawn one may be reopened, a few times).
  DISPUTES_MAX_PER_MILESTONE: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(5)
    .describe('disputes one milestone may open over its life (version 3 on)'),
  // Arbitration fee each party pays, in minor units: the default, and per-currency overrides "USD:500,JPY:700".
  ARBITRATION_FEE_DEFAULT: z
    .string()
    .regex(/^(0|[1-9][0-9]{0,17})$/)
    .default('500')
    .describe('arbitration fee each party pays, in minor units'),
  ARBITRATION_FEES: z
    .string()
    .regex(/^([A-Z]{3}:(0|[1-9][0-9]{0,17})(,[A-Z]{3}:(0|[1-9][0-9]{0,17}))*)?$/, 'must look like USD:500,EUR:450')
    .default('')
    .describe('per-currency arbitration fees overriding the default, e.g. USD:500,JPY:700'),
  // Armed timers due longer than the grace whose job is gone (Redis restarted empty) are re-enqueued, as are
  // relayed outbox rows left unprocessed that long.
  SWEEP_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(10)
    .max(3_600_000)
    .default(5_000)
    .describe('how often the sweeper looks for due timers and outbox rows whose jobs are gone'),
  // Where autovacuum is off, how often the workers look for tables whose planner statistics are out of date.
  STATS_CHECK_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(3_600_000)
    .default(5_000)
    .describe('where autovacuum is off, how often workers look for tables to ANALYZE'),
  // autovacuum looks at a database once a minute (autovacuum_naptime); a table that has not doubled waits as long.
  STATS_REFRESH_MIN_AGE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(3_600_000)
    .default(60_000)
    .describe(
      'where autovacuum is off, a table changed past the threshold but not doubled is analyzed again only once its statistics are this old',
    ),
  SWEEP_GRACE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(3_600_000)
    .default(10_000)
    .describe('the sweeper re-enqueues a timer or outbox row only once it is this overdue'),
  SWEEP_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500).describe('most rows one sweep re-enqueues'),
  // "Deadline in 24 h" notices to the party who must act, checked every interval.
  DEADLINE_REMINDER_LEAD_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_DURATION_MS)
    .default(DAY_MS)
    .describe('the party who must act is warned this long before a deadline (only deadlines set further ahead)'),
  DEADLINE_REMINDER_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(10)
    .max(3_600_000)
    .default(60_000)
    .describe('how often due deadline reminders are looked for'),
  // Job locks are renewed every half duration while a job runs; a dead worker's jobs return after about this.
  WORKER_LOCK_DURATION_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(600_000)
    .default(10_000)
    .describe("BullMQ job lock; a killed worker's jobs run elsewhere after about this"),
  WORKER_STALLED_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(500)
    .max(600_000)
    .default(5_000)
    .describe('how often BullMQ checks for stalled jobs'),
  TIMER_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(256)
    .default(4)
    .describe('timer jobs in flight per worker process'),
  // Staged rollout: the machine version new instances start on, e.g. "milestone:1" (default: the latest).
  NEW_INSTANCE_VERSIONS: z
    .string()
    .regex(
      /^((project|milestone|payout|adjustment):[1-9][0-9]*(,(project|milestone|payout|adjustment):[1-9][0-9]*)*)?$/,
    )
    .default('')
    .describe(
      'machine version new instances start on, e.g. milestone:2,project:1; empty = the latest (staged rollout)',
    ),
  // Most paths one GET /v1/machines/:name/paths returns (simple paths of a large machine run to thousands).
  PATHS_LIMIT_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(10_000)
    .describe('most paths one GET /v1/machines/:name/paths returns'),
  // How long an API process trusts a token it has looked up (0 = ask the database on every request). A revoked
  // or rotated token is dropped from every process's cache at once by a signal (src/auth/client-signals.ts);
  // this is the fallback when that signal is lost, so it stays below docs/api.md's 5 s for revocation.
  AUTH_CACHE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(600_000)
    .default(3_000)
    .describe(
      'how long an API process trusts a token it looked up (0 = every request asks the database); a signal drops revoked tokens sooner',
    ),
  SHUTDOWN_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(10_000)
    .describe('on SIGTERM: stop HTTP, finish jobs, close pools; exit 1 if that takes longer'),
  // Replay and verification (issue #5): the longest history one replay reads into memory, and the page sizes
  // bulk verification streams instances and history in, so its memory stays flat in the instance count.
  REPLAY_MAX_EVENTS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(10_000)
    .describe(
      'longest history one replay reads into memory (API, console, verify, history); longer answers 422 history_too_long',
    ),
  VERIFY_BATCH_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(1_000)
    .describe('instances per keyset page of cli verify'),
  VERIFY_HISTORY_BATCH_EVENTS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(20_000)
    .describe('history rows per query of cli verify (a page is split to fit)'),
  VERIFY_MAX_REPORTED: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(100)
    .describe('mismatches cli verify lists in full (the rest are counted)'),
  VERIFY_PROGRESS_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(5_000)
    .describe('cli verify prints a progress line this often when stderr is not a terminal'),
  CONSOLE_SEARCH_LIMIT: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000)
    .default(50)
    .describe('results of one support console search'),
  // Webhooks (docs/webhooks.md). Every attempt waits at most WEBHOOK_TIMEOUT_MS; failures back off
  // exponentially from WEBHOOK_BACKOFF_BASE_MS up to WEBHOOK_BACKOFF_MAX_MS, and a delivery is dead after
  // WEBHOOK_MAX_ATTEMPTS attempts. Only URLs whose host is on WEBHOOK_ALLOWED_HOSTS are accepted (no SSRF).
  WEBHOOK_ALLOWED_HOSTS: z
    .string()
    .default('127.0.0.0/8,::1/128,localhost')
    .describe('where webhooks may point: IPs, CIDR ranges, host names, *.suffix names (no SSRF)'),
  WEBHOOK_MAX_ATTEMPTS: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(8)
    .describe('attempts per webhook delivery before it is dead (a retry grants as many again)'),
  WEBHOOK_BACKOFF_BASE_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3_600_000)
    .default(1_000)
    .describe('first webhook retry delay; it doubles up to WEBHOOK_BACKOFF_MAX_MS, with jitter'),
  WEBHOOK_BACKOFF_MAX_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(86_400_000)
    .default(3_600_000)
    .describe('longest webhook retry delay'),
  WEBHOOK_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(10)
    .max(120_000)
    .default(10_000)
    .describe('one webhook delivery attempt gives up after this'),
  WEBHOOK_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(256)
    .default(8)
    .describe('webhook attempts in flight per worker process'),
  WEBHOOK_POLL_MS: z.coerce
    .number()
    .int()
    .min(10)
    .max(600_000)
    .default(1_000)
    .describe('the webhook dispatcher looks for due deliveries at least this often'),
  WEBHOOK_URL_MAX_CHARS: z.coerce.number().int().min(16).max(8_192).default(2_048).describe('longest webhook URL'),
  WEBHOOK_EVENTS_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000)
    .default(50)
    .describe('most event patterns one webhook subscribes to'),
  WEBHOOK_SECRET_MAX_CHARS: z.coerce.number().int().min(16).max(4_096).default(512).describe('longest webhook secret'),
  // A short secret can be guessed offline from one signed delivery: 16 characters is the floor (issue 15).
  WEBHOOK_SECRET_MIN_CHARS: z.coerce
    .number()
    .int()
    .min(16)
    .max(4_096)
    .default(16)
    .describe('shortest webhook secret (a short one can be guessed offline from one signed delivery)'),
  // 64 hex characters (32 bytes) to encrypt stored webhook secrets with AES-256-GCM (docs/security.md). Required
  // when NODE_ENV=production; elsewhere empty stores them as given, and the service says so in its log.
  WEBHOOK_SECRET_KEY: z
    .union([z.literal(''), z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters')])
    .default('')
    .describe(
      '64 hex characters: seal stored webhook secrets with AES-256-GCM; required when NODE_ENV=production, empty stores them as given',
    ),
  // An inbound X-Request-Id longer than this (or with odd characters) is replaced by a generated one.
  REQUEST_ID_MAX_CHARS: z.coerce
    .number()
    .int()
    .min(8)
    .max(1_000)
    .default(128)
    .describe('a longer or odd inbound X-Request-Id is replaced by a generated one'),
  // Lifetime of an admin session (POST /admin/login): its server-side row and the browser's cookie.
  OPS_COOKIE_MAX_AGE_S: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .default(8 * 3_600)
    .describe('lifetime of an admin session (POST /admin/login), in seconds'),
  // Per-token request budget on /v1: RATE_LIMIT_PER_SEC sustained, up to RATE_LIMIT_BURST at once; 0 turns it
  // off. It stops a runaway client, never normal load: one internal service may drive the whole service, so the
  // default sits well above what one API process can serve (1,100–1,250 events/s measured by `npm run bench` on a
  // 2-core machine, bench/README.md; the old 1,000/s default throttled a single client below capacity). Size it
  // per deployment: a client's share of the capacity `npm run bench` measures, times the API processes, with
  // headroom.
  RATE_LIMIT_PER_SEC: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(10_000)
    .describe('per-token request budget on /v1, sustained per second; 0 turns limiting off'),
  RATE_LIMIT_BURST: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000_000)
    .default(20_000)
    .describe('per-token requests allowed at once on /v1'),
  // A milestone in a settlement-in-flight state (tag `settling`) for longer than this is reported as stuck
  // (readyz detail, escrow_instances_stuck, `cli stuck`); at most STUCK_LIST_MAX of them are listed by id.
  STUCK_AFTER_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_DURATION_MS)
    .default(5 * 60_000)
    .describe('a settlement in flight longer than this is reported stuck (readyz, metric, cli stuck)'),
  STUCK_LIST_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(100)
    .describe('stuck instances cli stuck lists (and redrive --all reads per page)'),
  // Support console and list API (issue 16, docs/support.md). GET /v1/stats counts instances per state from the
  // indexes; below STATS_CACHE_ABOVE_ROWS instances every request counts afresh (exact), above it a count is
  // shared for STATS_CACHE_FACTOR times what it took, at most STATS_CACHE_MAX_MS, so polling consoles cost the
  // database at most 1/STATS_CACHE_FACTOR of a core. CONSOLE_ACTIONS_MAX: support actions one case page lists.
  STATS_CACHE_ABOVE_ROWS: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000_000)
    .default(100_000)
    .describe('above this many instances GET /v1/stats shares a count for a moment instead of counting afresh'),
  STATS_CACHE_FACTOR: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(50)
    .describe('a shared stats count is kept this many times as long as it took to count'),
  STATS_CACHE_MAX_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(600_000)
    .default(10_000)
    .describe('longest a shared stats count is kept'),
  CONSOLE_ACTIONS_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(500)
    .describe('support actions one console case page lists'),

  // --- Statements and reconciliation (issue 17; docs/money.md) ---
  STATEMENT_CSV_BATCH_ROWS: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(1_000)
    .describe(
      'Rows a CSV statement reads from its database cursor at a time: what one download holds in memory at once.',
    ),
  RECONCILE_BATCH_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(1_000)
    .describe('Milestones a reconciliation compares with their escrow and fee holds per read (cli reconcile, metric).'),
  RECONCILE_METRIC_TTL_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(MAX_DURATION_MS)
    .default(5 * 60_000)
    .describe(
      'How old the reconciliation behind escrow_reconcile_differences may be before a scrape starts a new one (ms): a reconciliation reads every transfer, so it runs at most this often per API process.',
    ),

  // --- Accountability and edge limits (issue 15; docs/security.md) ---
  // `production` makes unsealed webhook secrets a start-up error instead of a warning.
  NODE_ENV: z
    .string()
    .default('development')
    .describe('production makes unsealed webhook secrets a start-up error instead of a warning'),
  ALLOW_TIME_TRAVEL: z
    .stringbool()
    .default(false)
    .describe(
      "Test deployments only: POST /v1/admin/instances/:id/fire-timers (admin) fires an instance's armed timers now, as the timers worker would, so generated timer paths finish in seconds. Refused with NODE_ENV=production.",
    ),
  // How long an unknown token is remembered as unknown, so a flood of bad tokens costs no database query each
  // (0 = off). Short: a token issued meanwhile is never one that was tried before, but a signal clears it too.
  AUTH_NEGATIVE_CACHE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(60_000)
    .default(2_000)
    .describe('how long an unknown token is remembered as unknown (0 = off)'),
  AUTH_NEGATIVE_CACHE_MAX_ENTRIES: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000_000)
    .default(100_000)
    .describe('most unknown tokens remembered'),
  // Token lookups that miss the caches share one statement, one at a time, up to this many tokens each.
  AUTH_LOOKUP_BATCH_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(256)
    .describe('token lookups that miss the caches share one statement, up to this many tokens'),
  // Failed authentications one client address may make per second before its unauthenticated requests are
  // answered 429 (docs/api.md "Clients and sessions"); valid tokens from that address still pass. 0 turns it off.
  AUTH_FAILURES_PER_SEC: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(100)
    .describe('failed authentications per second one client address may make before it gets 429; 0 = off'),
  // A client's last_used_at is written at most this often per API process: never a write per request.
  CLIENT_LAST_USED_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(86_400_000)
    .default(60_000)
    .describe("a client's lastUsedAt is written at most this often per API process"),
  // Express's "trust proxy" for deployments behind a reverse proxy: '' (off: the socket's own address and
  // protocol), 'true', a hop count ('1'), or addresses/subnets ('loopback, 10.0.0.0/8'). It decides the client
  // address the failed-authentication budget is kept per, and whether the admin cookie is marked Secure.
  TRUST_PROXY: z
    .string()
    .regex(/^[A-Za-z0-9_.:/, -]*$/, 'must be true, a hop count, or a list of addresses')
    .default('')
    .describe('Express trust proxy behind a reverse proxy: empty (off), true, a hop count, or addresses/subnets'),
  // Slow clients cannot hold sockets: the request head must arrive within HTTP_HEADERS_TIMEOUT_MS and the
  // whole request (head and body) within HTTP_REQUEST_TIMEOUT_MS; an idle keep-alive socket closes after
  // HTTP_KEEP_ALIVE_TIMEOUT_MS; beyond HTTP_MAX_CONNECTIONS open sockets new ones are refused (0 = no cap).
  HTTP_HEADERS_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(600_000)
    .default(10_000)
    .describe('a request head must arrive within this'),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(600_000)
    .default(30_000)
    .describe('a whole request (head and body) must arrive within this'),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(5_000)
    .describe('an idle keep-alive socket closes after this'),
  HTTP_MAX_CONNECTIONS: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(4_096)
    .describe('open sockets beyond this are refused (0 = no cap)'),
  HTTP_TIMEOUT_CHECK_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(1_000)
    .describe('how often Node checks the request timeouts'),
  // The largest single deposit, in minor units (docs/api.md "Money": 422 guard_failed deposit_limit above it). A
  // sanity bound, not a business rule: 10^12 is ten billion in a two-decimal currency.
  DEPOSIT_MAX: z
    .string()
    .regex(/^[1-9][0-9]{0,18}$/, 'must be a positive integer of minor units')
    .refine((s) => BigInt(s) <= 2n ** 63n - 1n, 'must fit a bigint (2^63-1)')
    .default('1000000000000')
    .describe('largest single deposit in minor units; above it 422 guard_failed deposit_limit'),

  // --- Payouts (issue 17; docs/money.md "Payouts") ---
  PAYOUT_PROVIDER: z
    .enum(['manual', 'sandbox'])
    .default('manual')
    .describe(
      'provider new payouts are recorded with: manual (support marks each paid or failed with the bank reference) or sandbox (the payout worker hands it over and applies the asynchronous outcome; for tests and demos)',
    ),
  PAYOUT_PROVIDER_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(10)
    .max(600_000)
    .default(10_000)
    .describe('longest wait for one provider call; a call that takes longer fails its job, which is retried'),
  PAYOUT_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(256)
    .default(4)
    .describe('payout jobs one worker process runs at once'),
  PAYOUT_SANDBOX_CONFIRM_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(86_400_000)
    .default(1_000)
    .describe('how long after accepting a payout the sandbox provider reports it paid or failed'),
  PAYOUT_SANDBOX_FAILURE_RATE: z.coerce
    .number()
    .min(0)
    .max(1)
    .default(0)
    .describe('share of payouts the sandbox provider fails (0 = none, 1 = all), decided when it accepts one'),
  PAYOUT_SANDBOX_LATENCY_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(600_000)
    .default(0)
    .describe(
      'how long the sandbox takes to answer the call that accepts a payout, after recording it (a slow provider; later calls answer at once)',
    ),
});

/** The variables with their rules and descriptions: docs/operations.md's configuration table is generated from it. */
export const configSchema = schema;

/**
 * `queuePrefix` names the deployment in Redis (signal channels, QUEUE_PREFIX for a child process); `bullmqPrefix`
 * is the same name as a Redis Cluster hash tag, `{queuePrefix}`, which BullMQ puts before every key of every
 * queue, so all of a queue's keys hash to one slot and its multi-key scripts run on a cluster.
 */
export type Config = z.infer<typeof schema> & { queuePrefix: string; bullmqPrefix: string; databaseName: string };

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const cfg = parsed.data;
  if (cfg.WAIT_TIMEOUT_DEFAULT_MS > cfg.WAIT_TIMEOUT_MAX_MS) {
    throw new ConfigError('Invalid configuration:\n  WAIT_TIMEOUT_DEFAULT_MS: must not exceed WAIT_TIMEOUT_MAX_MS');
  }
  if (cfg.LIST_LIMIT_DEFAULT > cfg.LIST_LIMIT_MAX) {
    throw new ConfigError('Invalid configuration:\n  LIST_LIMIT_DEFAULT: must not exceed LIST_LIMIT_MAX');
  }
  if (cfg.RATE_LIMIT_PER_SEC > 0 && cfg.RATE_LIMIT_BURST < cfg.RATE_LIMIT_PER_SEC) {
    throw new ConfigError('Invalid configuration:\n  RATE_LIMIT_BURST: must be at least RATE_LIMIT_PER_SEC');
  }
  if (2 * cfg.GROUP_COMMIT_IN_FLIGHT >= cfg.DB_POOL_MAX) {
    // Reads and writes in flight each hold a pooled connection; the locking path and every other query need one too.
    throw new ConfigError('Invalid configuration:\n  GROUP_COMMIT_IN_FLIGHT: twice it must stay below DB_POOL_MAX');
  }
  if (cfg.READ_REPLICA_CHECK_MS >= cfg.READ_REPLICA_MAX_LAG_MS) {
    // Between two checks the replica's known position ages by the interval: a bound below it is never met.
    throw new ConfigError('Invalid configuration:\n  READ_REPLICA_CHECK_MS: must stay below READ_REPLICA_MAX_LAG_MS');
  }
  if (cfg.WEBHOOK_SECRET_MIN_CHARS > cfg.WEBHOOK_SECRET_MAX_CHARS) {
    throw new ConfigError(
      'Invalid configuration:\n  WEBHOOK_SECRET_MIN_CHARS: must not exceed WEBHOOK_SECRET_MAX_CHARS',
    );
  }
  if (cfg.HTTP_HEADERS_TIMEOUT_MS > cfg.HTTP_REQUEST_TIMEOUT_MS) {
    // Node refuses a server whose head timeout exceeds its request timeout.
    throw new ConfigError('Invalid configuration:\n  HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }
  if (cfg.WEBHOOK_BACKOFF_BASE_MS > cfg.WEBHOOK_BACKOFF_MAX_MS) {
    throw new ConfigError('Invalid configuration:\n  WEBHOOK_BACKOFF_BASE_MS: must not exceed WEBHOOK_BACKOFF_MAX_MS');
  }
  if (cfg.ALLOW_TIME_TRAVEL && cfg.NODE_ENV === 'production') {
    // Firing deadlines early on demand is for test deployments; a production one must never offer it.
    throw new ConfigError('Invalid configuration:\n  ALLOW_TIME_TRAVEL: must be off when NODE_ENV=production');
  }
  try {
    new UrlPolicy(cfg.WEBHOOK_ALLOWED_HOSTS);
  } catch (error) {
    throw new ConfigError(`Invalid configuration:\n  ${(error as Error).message}`);
  }
  const databaseName = decodeURIComponent(new URL(cfg.DATABASE_URL).pathname.replace(/^\//, '')) || 'postgres';
  const queuePrefix = cfg.QUEUE_PREFIX || `escrow:${databaseName}`;
  return { ...cfg, databaseName, queuePrefix, bullmqPrefix: `{${queuePrefix}}` };
}

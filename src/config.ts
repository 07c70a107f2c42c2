import { z } from 'zod';

// Every limit and duration is named here with its unit (STYLE §4) and validated at start,
// so a typo in the environment stops the process with a clear message instead of a late surprise.
const schema = z.object({
  DATABASE_URL: z.string().url().default('postgres://root@127.0.0.1:5432/escrow'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  // Empty means "derive from the database name", so two deployments or test runs on one Redis stay apart.
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_.:-]*$/).default(''),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DB_POOL_MAX: z.coerce.number().int().min(2).max(200).default(10),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(10 * 1024 * 1024).default(64 * 1024),
  IDEMPOTENCY_KEY_MAX_CHARS: z.coerce.number().int().min(1).max(1000).default(200),
  LIST_LIMIT_DEFAULT: z.coerce.number().int().min(1).max(1000).default(50),
  LIST_LIMIT_MAX: z.coerce.number().int().min(1).max(1000).default(200),
  WAIT_TIMEOUT_DEFAULT_MS: z.coerce.number().int().min(0).max(600_000).default(5_000),
  WAIT_TIMEOUT_MAX_MS: z.coerce.number().int().min(0).max(600_000).default(30_000),
  WAIT_RECHECK_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  RELAY_POLL_MS: z.coerce.number().int().min(10).max(600_000).default(1_000),
  RELAY_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(200),
  SETTLEMENT_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  SETTLEMENT_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(10),
  SETTLEMENT_BACKOFF_MS: z.coerce.number().int().min(1).max(600_000).default(500),
  NOTIFICATION_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(4),
  JOBS_KEEP_COMPLETED: z.coerce.number().int().min(0).max(1_000_000).default(1_000),
  JOBS_KEEP_FAILED: z.coerce.number().int().min(0).max(1_000_000).default(10_000),
  // Platform fee on releases, in basis points of the released amount; 0 = off (DESIGN.md default).
  PLATFORM_FEE_BPS: z.coerce.number().int().min(0).max(10_000).default(0),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
});

export type Config = z.infer<typeof schema> & { queuePrefix: string; databaseName: string };

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
  const databaseName = decodeURIComponent(new URL(cfg.DATABASE_URL).pathname.replace(/^\//, '')) || 'postgres';
  return { ...cfg, databaseName, queuePrefix: cfg.QUEUE_PREFIX || `escrow:${databaseName}` };
}

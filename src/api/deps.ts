import type { RedisConnection } from '../net/redis-connection.js';
import type { Config } from '../config.js';
import type { Db } from '../db/knex.js';
import type { Reader } from '../db/reader.js';
import type { UnlockedEvents } from '../engine/apply-event-unlocked.js';
import type { InstanceRules } from '../engine/instance-rules.js';
import type { Logger } from '../logger.js';
import type { PathsThread } from '../paths/paths-thread.js';
import type { SignalBus } from '../signals/signal-bus.js';
import type { Authenticator } from './auth.js';
import type { ChangeFeed } from './change-feed.js';

/** What request handlers need; built once at start and passed down, never imported as globals. */
export interface ApiDeps {
  /** The primary: writes and every read that must see its own writes. */
  db: Db;
  /** Lag-tolerant reads (lists, history, replay, stats, statements, console): the replica when there is one. */
  reader: Reader;
  config: Config;
  log: Logger;
  changes: ChangeFeed;
  /** Deadlines, fees and versions that new instances record. */
  rules: InstanceRules;
  /** The hot path for events: compare-and-set with group commit (apply-event-unlocked.ts). */
  events: UnlockedEvents;
  /** Wakes the relay once an event's outbox rows are committed. */
  signals: SignalBus;
  /** A fail-fast connection used only to report Redis health. */
  redis: RedisConnection;
  /** Who is calling: bearer tokens (cached, revocation-aware) and the failed-authentication budget. */
  auth: Authenticator;
  /** Model-based test paths, generated off the event loop. */
  paths: PathsThread;
}

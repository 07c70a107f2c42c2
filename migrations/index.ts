import type { Knex } from 'knex';
import * as core from './20261127000000_core.js';
import * as timersFeeHolds from './20261127100000_timers_fee_holds.js';
import * as webhooks from './20261127200000_webhooks.js';
import * as requestIdsReminders from './20261127300000_request_ids_reminders.js';
import * as relayInlineTopics from './20261127400000_relay_inline_topics.js';
import * as instancesFillfactor from './20261201000000_instances_fillfactor.js';
import * as documentColumnsNoStatistics from './20261201100000_document_columns_no_statistics.js';
import * as listQueues from './20261204300000_list_queues.js';
import * as clientLifecycleAudit from './20261204500000_client_lifecycle_audit.js';
import * as idempotencyKeyExpiry from './20261204700000_idempotency_key_expiry.js';
import * as escrowByMilestone from './20261205100000_escrow_by_milestone.js';
import * as ledgerGuards from './20261208000000_ledger_guards.js';
import * as statementRunningBalances from './20261208100000_statement_running_balances.js';
import * as payoutsAdjustments from './20261209000000_payouts_adjustments.js';
import * as notificationsInEvent from './20261210000000_notifications_in_event.js';

// Migrations are imported statically rather than discovered on disk, so they load the same way under
// tsx, vitest and any bundler. Append new migrations here in order; never edit or reorder landed ones.
const migrations: ReadonlyArray<[name: string, migration: Knex.Migration]> = [
  ['20261127000000_core', core],
  ['20261127100000_timers_fee_holds', timersFeeHolds],
  ['20261127200000_webhooks', webhooks],
  ['20261127300000_request_ids_reminders', requestIdsReminders],
  ['20261127400000_relay_inline_topics', relayInlineTopics],
  ['20261201000000_instances_fillfactor', instancesFillfactor],
  ['20261201100000_document_columns_no_statistics', documentColumnsNoStatistics],
  ['20261204300000_list_queues', listQueues],
  ['20261204500000_client_lifecycle_audit', clientLifecycleAudit],
  ['20261204700000_idempotency_key_expiry', idempotencyKeyExpiry],
  ['20261205100000_escrow_by_milestone', escrowByMilestone],
  ['20261208000000_ledger_guards', ledgerGuards],
  ['20261208100000_statement_running_balances', statementRunningBalances],
  ['20261209000000_payouts_adjustments', payoutsAdjustments],
  ['20261210000000_notifications_in_event', notificationsInEvent],
];

export const migrationSource: Knex.MigrationSource<[string, Knex.Migration]> = {
  getMigrations: () => Promise.resolve([...migrations]),
  getMigrationName: ([name]) => name,
  getMigration: ([, migration]) => Promise.resolve(migration),
};

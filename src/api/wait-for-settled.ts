import type { Knex } from 'knex';
import { pinnedMachine } from '../../machines/registry.js';
import type { InstanceRow } from '../engine/instance-row.js';
import { findViewRow, type ViewRow } from '../engine/view-row.js';
import { restoreSnapshot } from '../engine/snapshot.js';
import type { ChangeFeed } from './change-feed.js';

/** Settlement in flight is whatever state the machine tags `settling` (funding, releasing, cancelling, …). */
export function isSettling(row: InstanceRow): boolean {
  return restoreSnapshot(pinnedMachine(row.machine, row.version), row.snapshot).hasTag('settling');
}

/**
 * Returns the milestone once no settlement is in flight, or as it is when `timeoutMs` runs out. Wakes on the
 * change feed and re-reads every `recheckMs` as well, in case a notification was missed.
 */
export async function waitForSettled(
  db: Knex,
  changes: ChangeFeed,
  id: string,
  timeoutMs: number,
  recheckMs: number,
): Promise<ViewRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await findViewRow(db, id, 'milestone');
    const left = deadline - Date.now();
    if (!isSettling(row) || left <= 0) return row;
    await changes.nextChange(id, Math.min(left, recheckMs));
  }
}

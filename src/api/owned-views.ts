import type { AdjustmentContext } from '../../machines/adjustment.v1.js';
import type { PayoutContext } from '../../machines/payout.v1.js';
import { pinnedMachine } from '../../machines/registry.js';
import { currencyExponent } from '../currencies.js';
import { availableEvents } from '../engine/availability.js';
import type { InstanceRow } from '../engine/instance-row.js';
import { restoreSnapshot } from '../engine/snapshot.js';

// JSON shapes of owned instances (docs/api.md "Payouts" and "Adjustments"). Money leaves as the decimal strings the context holds.

/** What every instance view carries: state, seq, machine and the events someone may send now. */
function instanceFields(row: InstanceRow) {
  const def = pinnedMachine(row.machine, row.version);
  const available = availableEvents(def, restoreSnapshot(def, row.snapshot), row.id, 'assumed');
  return {
    state: row.snapshot.value,
    seq: row.seq,
    machine: { name: row.machine, version: row.version },
    allowedEvents: available.map((e) => e.type),
    availableEvents: available,
    // Payouts and adjustments arm no durable timers (their machines have none).
    deadlines: [],
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Whose money, which currency and how much: the fields a payout and an adjustment share, in the API's order. */
function ownedMoney(row: InstanceRow, c: { ownerId: string; currency: string; amount: string }) {
  return {
    id: row.id,
    ownerId: c.ownerId,
    currency: c.currency,
    currencyExponent: currencyExponent(c.currency),
    amount: c.amount,
  };
}

export function payoutView(row: InstanceRow) {
  const c = row.snapshot.context as unknown as PayoutContext;
  return {
    ...ownedMoney(row, c),
    destination: c.destination,
    provider: c.provider,
    reference: c.reference,
    failureReason: c.failureReason,
    ...instanceFields(row),
  };
}

export function adjustmentView(row: InstanceRow) {
  const c = row.snapshot.context as unknown as AdjustmentContext;
  return {
    ...ownedMoney(row, c),
    reason: c.reason,
    proposedBy: c.proposedBy,
    decidedBy: c.decidedBy,
    rejectionReason: c.rejectionReason,
    ...instanceFields(row),
  };
}

import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type AnyMachineSnapshot } from 'xstate';
import { payoutMachineV1, type PayoutInput } from '../../machines/payout.v1.js';
import { effectsOf } from './support/machine-test-kit.js';

// payout@1 (docs/money.md "Payouts"): every transition, its money moves and its refusals.
const OWNER = 'owner-1';
const manual: PayoutInput = { id: 'po-1', ownerId: OWNER, currency: 'USD', provider: 'manual' };
const sandbox: PayoutInput = { ...manual, provider: 'sandbox' };
const destination = { kind: 'bank_account', reference: 'IBAN' };
const owner = { actor: OWNER };
const support = { actor: 'agent', support: true as const };
const system = { actor: 'system', system: true as const };

type Event = Parameters<typeof payoutMachineV1.transition>[1];

function send(snapshot: AnyMachineSnapshot, event: Record<string, unknown>) {
  const [next, actions] = transition(payoutMachineV1, snapshot as never, event as Event);
  return { next: next as AnyMachineSnapshot, effects: effectsOf(actions) };
}

function requested(input: PayoutInput) {
  const [draft] = initialTransition(payoutMachineV1, input);
  return send(draft, { type: 'REQUEST', ...owner, amount: '2500', destination });
}

const move = (from: string, to: string, kind: string) => ({
  type: 'moveMoney',
  params: { from, to, kind, amount: '2500' },
});

describe('payout@1 machine', () => {
  it('REQUEST by the owner records the terms and holds the money; a manual payout is not handed over', () => {
    const { next, effects } = requested(manual);
    expect(next.value).toBe('requested');
    expect(next.context).toMatchObject({ amount: '2500', destination, provider: 'manual' });
    expect(effects).toEqual([move('available', 'payout_hold', 'payout_hold')]);
  });

  it('REQUEST of an automatic provider hands it to the payout worker too', () => {
    const { effects } = requested(sandbox);
    expect(effects).toEqual([
      { type: 'handToProvider', params: undefined },
      move('available', 'payout_hold', 'payout_hold'),
    ]);
  });

  it('refuses REQUEST from anyone but the owner', () => {
    const [draft] = initialTransition(payoutMachineV1, manual);
    expect(draft.can({ type: 'REQUEST', actor: 'other', amount: '1', destination })).toBe(false);
    expect(draft.can({ type: 'REQUEST', ...support, amount: '1', destination })).toBe(false);
  });

  it('CANCEL by the owner while requested returns the money', () => {
    const { next, effects } = send(requested(manual).next, { type: 'CANCEL', ...owner });
    expect(next.value).toBe('cancelled');
    expect(effects).toEqual([move('payout_hold', 'available', 'payout_return')]);
    expect(requested(manual).next.can({ type: 'CANCEL', actor: 'other' })).toBe(false);
  });

  it('MARK_PAID by support pays a manual payout out with its reference; MARK_FAILED returns it', () => {
    const paid = send(requested(manual).next, { type: 'MARK_PAID', ...support, reference: 'R-1' });
    expect(paid.next.value).toBe('paid');
    expect(paid.next.context.reference).toBe('R-1');
    expect(paid.effects).toEqual([
      move('payout_hold', 'external', 'payout'),
      { type: 'notify', params: { to: 'owner', type: 'payout.paid' } },
    ]);
    const failed = send(requested(manual).next, { type: 'MARK_FAILED', ...support, reason: 'closed' });
    expect(failed.next.value).toBe('failed');
    expect(failed.next.context.failureReason).toBe('closed');
    expect(failed.effects[0]).toEqual(move('payout_hold', 'available', 'payout_return'));
  });

  it('refuses MARK_PAID from the owner, and on a payout an automatic provider takes', () => {
    expect(requested(manual).next.can({ type: 'MARK_PAID', ...owner, reference: 'R' })).toBe(false);
    expect(requested(sandbox).next.can({ type: 'MARK_PAID', ...support, reference: 'R' })).toBe(false);
  });

  it('PROCESS (system) takes an automatic payout to processing, where only the provider’s outcome counts', () => {
    expect(requested(manual).next.can({ type: 'PROCESS', ...system })).toBe(false);
    const processing = send(requested(sandbox).next, { type: 'PROCESS', ...system });
    expect(processing.next.value).toBe('processing');
    expect(processing.effects).toEqual([]);
    for (const event of [
      { type: 'CANCEL', ...owner },
      { type: 'MARK_PAID', ...support, reference: 'R' },
      { type: 'PROVIDER_PAID', ...owner, reference: 'R' },
    ]) {
      expect(processing.next.can(event as Event), event.type).toBe(false);
    }
    const paid = send(processing.next, { type: 'PROVIDER_PAID', ...system, reference: 'SBX-1' });
    expect(paid.next.value).toBe('paid');
    expect(paid.effects[0]).toEqual(move('payout_hold', 'external', 'payout'));
    const failed = send(processing.next, { type: 'PROVIDER_FAILED', ...system, reason: 'rejected' });
    expect(failed.next.value).toBe('failed');
    expect(failed.effects[0]).toEqual(move('payout_hold', 'available', 'payout_return'));
  });

  it('accepts nothing once paid, failed or cancelled', () => {
    const paid = send(requested(manual).next, { type: 'MARK_PAID', ...support, reference: 'R' }).next;
    expect(paid.status).toBe('done');
    expect(paid.can({ type: 'CANCEL', ...owner })).toBe(false);
  });
});

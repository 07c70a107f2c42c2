import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type AnyMachineSnapshot } from 'xstate';
import { adjustmentMachineV1, adjustmentPayloads, type AdjustmentInput } from '../../machines/adjustment.v1.js';
import { adjustmentRulesV1 } from '../../machines/adjustment.v1.rules.js';
import { effectsOf } from './support/machine-test-kit.js';

// adjustment@1 (docs/money.md "Adjustments"): four eyes by actor and client, the signed money move, refusals.
const input: AdjustmentInput = { id: 'adj-1', ownerId: 'owner-1', currency: 'USD' };
const ann = { actor: 'agent-ann', support: true as const, client: 'cli_a' };
const bob = { actor: 'agent-bob', support: true as const, client: 'cli_b' };

type Event = Parameters<typeof adjustmentMachineV1.transition>[1];

function send(snapshot: AnyMachineSnapshot, event: Record<string, unknown>) {
  const [next, actions] = transition(adjustmentMachineV1, snapshot as never, event as Event);
  return { next: next as AnyMachineSnapshot, effects: effectsOf(actions) };
}

function proposed(amount: string) {
  const [draft] = initialTransition(adjustmentMachineV1, input);
  return send(draft, { type: 'PROPOSE', ...ann, amount, reason: 'duplicate fee' }).next;
}

describe('adjustment@1 machine', () => {
  it('PROPOSE by support records amount, reason and the proposer (actor and client); nothing moves', () => {
    const [draft] = initialTransition(adjustmentMachineV1, input);
    const { next, effects } = send(draft, { type: 'PROPOSE', ...ann, amount: '-500', reason: 'duplicate fee' });
    expect(next.value).toBe('proposed');
    expect(next.context).toMatchObject({
      amount: '-500',
      reason: 'duplicate fee',
      proposedBy: { actor: 'agent-ann', client: 'cli_a' },
      decidedBy: null,
    });
    expect(effects).toEqual([]);
    expect(draft.can({ type: 'PROPOSE', actor: 'owner-1', amount: '5', reason: 'mine' })).toBe(false);
    expect(draft.can({ type: 'PROPOSE', actor: 'someone', amount: '5', reason: 'r' })).toBe(false);
  });

  it('APPROVE of a positive amount credits available from the adjustments account', () => {
    const { next, effects } = send(proposed('2500'), { type: 'APPROVE', ...bob });
    expect(next.value).toBe('applied');
    expect(next.status).toBe('done');
    expect(next.context.decidedBy).toEqual({ actor: 'agent-bob', client: 'cli_b' });
    expect(effects).toEqual([
      { type: 'moveMoney', params: { from: 'adjustments', to: 'available', amount: '2500', kind: 'adjustment' } },
    ]);
  });

  it('APPROVE of a negative amount debits its magnitude from available into adjustments', () => {
    const { effects } = send(proposed('-500'), { type: 'APPROVE', ...bob });
    expect(effects).toEqual([
      { type: 'moveMoney', params: { from: 'available', to: 'adjustments', amount: '500', kind: 'adjustment' } },
    ]);
  });

  it('REJECT moves nothing and keeps its reason', () => {
    const { next, effects } = send(proposed('100'), { type: 'REJECT', ...bob, reason: 'no evidence' });
    expect(next.value).toBe('rejected');
    expect(next.context.rejectionReason).toBe('no evidence');
    expect(effects).toEqual([]);
  });

  it('four eyes: refuses the proposing actor (any client) and the proposing client (any actor)', () => {
    const snapshot = proposed('100');
    const args = (event: { actor: string; client: string }) => ({
      context: snapshot.context,
      event: { type: 'APPROVE', ...event },
    });
    for (const type of ['APPROVE', 'REJECT']) {
      expect(snapshot.can({ type, ...ann, client: 'cli_b' }), `${type} same actor`).toBe(false);
      expect(snapshot.can({ type, ...bob, client: 'cli_a' }), `${type} same client`).toBe(false);
      expect(snapshot.can({ type, ...bob }), `${type} other actor and client`).toBe(true);
      expect(snapshot.can({ type, actor: 'agent-bob', client: 'cli_b' }), `${type} not support`).toBe(false);
    }
    expect(adjustmentRulesV1.otherActorThanProposer.check(args({ ...ann, client: 'cli_b' }))).toBe(false);
    expect(adjustmentRulesV1.otherClientThanProposer.check(args({ ...bob, client: 'cli_a' }))).toBe(false);
    expect(adjustmentRulesV1.otherActorThanProposer.id).toBe('four_eyes_actor');
    expect(adjustmentRulesV1.otherClientThanProposer.id).toBe('four_eyes_client');
  });

  it('accepts nothing once applied or rejected', () => {
    const applied = send(proposed('100'), { type: 'APPROVE', ...bob }).next;
    const rejected = send(proposed('100'), { type: 'REJECT', ...bob }).next;
    for (const done of [applied, rejected]) {
      expect(done.can({ type: 'APPROVE', actor: 'agent-cy', support: true, client: 'cli_c' })).toBe(false);
    }
  });

  it('PROPOSE payload: a signed, non-zero amount and a reason', () => {
    const ok = (amount: string, reason = 'r') => adjustmentPayloads.PROPOSE.safeParse({ amount, reason }).success;
    expect([ok('1'), ok('-1'), ok('9223372036854775807'), ok('-9223372036854775807')]).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect([ok('0'), ok('-0'), ok('+1'), ok('1.5'), ok('--1'), ok('01'), ok('9223372036854775808')]).toEqual(
      Array(7).fill(false),
    );
    expect(ok('5', ' ')).toBe(false);
    expect(adjustmentPayloads.PROPOSE.safeParse({ amount: '5' }).success).toBe(false);
  });
});

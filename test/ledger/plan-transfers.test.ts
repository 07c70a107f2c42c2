import { describe, expect, it } from 'vitest';
import { AccountOverflowError } from '../../src/ledger/account-overflow-error.js';
import { availableAccount, escrowAccount, externalAccount } from '../../src/ledger/accounts.js';
import { InsufficientFundsError } from '../../src/ledger/insufficient-funds-error.js';
import { lockedAfter, planTransfers, type LockedAccounts } from '../../src/ledger/transfer.js';
import { MONEY_MAX } from '../../src/money.js';

// planTransfers (src/ledger/transfer.ts) checks transfers against balances the transaction has locked, without
// I/O: the settlement batch plans each command against the balances the commands before it leave.
const alice = availableAccount('alice', 'USD');
const escrow = escrowAccount('ms1', 'alice', 'USD');
const world = externalAccount('USD');

function locked(balances: Record<string, bigint>, existing: string[] = []): LockedAccounts {
  const kinds = new Map([
    [alice.id, 'available'],
    [escrow.id, 'escrow'],
    [world.id, 'external'],
  ]);
  return { kinds, balances: new Map(Object.entries(balances)), existing: new Set(existing) };
}

const fund = (id: string, amount: bigint) => ({ id, debit: alice, credit: escrow, amount, kind: 'fund' });

describe('planning transfers', () => {
  it('plans each batch on the balances the one before leaves (lockedAfter)', () => {
    const start = locked({ [alice.id]: 100n, [escrow.id]: 0n });
    const first = planTransfers(start, [fund('t1', 60n)]);
    expect(first.balances.get(alice.id)).toBe(40n);
    const accounts = lockedAfter(start, first);
    expect(() => planTransfers(accounts, [fund('t2', 50n)])).toThrow(InsufficientFundsError);
    expect(planTransfers(accounts, [fund('t3', 40n)]).balances).toEqual(
      new Map([
        [alice.id, 0n],
        [escrow.id, 100n],
      ]),
    );
  });

  it('never changes the locked accounts it plans on (pure)', () => {
    const accounts = locked({ [alice.id]: 100n, [escrow.id]: 0n });
    const plan = planTransfers(accounts, [fund('t1', 60n)]);
    expect(plan.balances.get(alice.id)).toBe(40n);
    expect(accounts.balances.get(alice.id)).toBe(100n);
    expect(accounts.balances.get(escrow.id)).toBe(0n);
    expect(planTransfers(accounts, [fund('t2', 100n)]).balances.get(alice.id)).toBe(0n);
  });

  it('leaves the balances as they were when any transfer of a plan is refused', () => {
    const accounts = locked({ [alice.id]: 100n, [escrow.id]: 0n });
    expect(() => planTransfers(accounts, [fund('t1', 70n), fund('t2', 70n)])).toThrow(InsufficientFundsError);
    expect(accounts.balances.get(alice.id)).toBe(100n);
    expect(accounts.balances.get(escrow.id)).toBe(0n);
  });

  it('names the account, its balance and the amount when funds are short', () => {
    try {
      planTransfers(locked({ [alice.id]: 5n, [escrow.id]: 0n }), [fund('t1', 6n)]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InsufficientFundsError);
      expect(error).toMatchObject({ accountId: alice.id, balance: 5n, amount: 6n });
    }
  });

  it('lets only the external account go below zero', () => {
    const plan = planTransfers(locked({ [world.id]: 0n, [alice.id]: 0n }), [
      { id: 'dep', debit: world, credit: alice, amount: 500n, kind: 'deposit' },
    ]);
    expect(plan.balances.get(world.id)).toBe(-500n);
  });

  it('leaves out transfers whose id exists already, moving nothing for them', () => {
    const accounts = locked({ [alice.id]: 100n, [escrow.id]: 0n }, ['t1']);
    const plan = planTransfers(accounts, [fund('t1', 60n), fund('t2', 10n)]);
    expect(plan.transfers.map((t) => t.id)).toEqual(['t2']);
    expect(plan.balances.get(alice.id)).toBe(90n);
  });

  it('refuses a credit that would take a balance past what bigint holds, naming the account', () => {
    const accounts = locked({ [world.id]: 0n, [alice.id]: MONEY_MAX });
    expect(() =>
      planTransfers(accounts, [{ id: 'dep', debit: world, credit: alice, amount: 1n, kind: 'deposit' }]),
    ).toThrow(AccountOverflowError);
  });

  it('refuses a deposit that would take the external account below what bigint holds, naming it', () => {
    const accounts = locked({ [world.id]: -MONEY_MAX, [alice.id]: 0n });
    try {
      planTransfers(accounts, [{ id: 'dep', debit: world, credit: alice, amount: 1n, kind: 'deposit' }]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AccountOverflowError);
      expect(error).toMatchObject({ accountId: world.id, kind: 'external', currency: 'USD', balance: -MONEY_MAX });
    }
  });
});

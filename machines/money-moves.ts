// Money an owned instance (a payout, an adjustment) moves in its event's own transaction. The machine names the
// accounts by what they are to its owner; the engine resolves them (src/engine/move-money.ts) and runs the
// transfer before the event commits, so a transfer the balance cannot cover refuses the event and changes nothing.

/** An account as an owned instance names it: the owner's own accounts, or the platform's for the currency. */
export type AccountRole = 'available' | 'payout_hold' | 'external' | 'adjustments';

/** The params of a `moveMoney` action: `amount` minor units (decimal string) from one account to the other. */
export interface MoneyMove {
  from: AccountRole;
  to: AccountRole;
  amount: string;
  /** The transfer's kind in the ledger and the owner's statement, e.g. `payout_hold`. */
  kind: string;
}

/** Named effects every owned machine shares; the engine carries them out (src/engine/effects.ts). */
export const moneyEffects = {
  moveMoney: (_args: unknown, _params: MoneyMove) => {},
};

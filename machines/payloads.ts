import { z } from 'zod';
import { parseMoney } from '../src/money.js';

// Shared payload field schemas. Money is a decimal string of minor units; zero is a valid offer but never a
// valid milestone amount, so the two are separate.
export const moneyString = z
  .string()
  .refine((s) => parseMoney(s) !== null, { message: 'must be a decimal string of minor units (0 … 2^63-1)' });

export const positiveMoneyString = moneyString.refine((s) => parseMoney(s) !== 0n, {
  message: 'must be greater than zero',
});

export const text = (maxChars: number) =>
  z
    .string()
    .max(maxChars)
    .refine((s) => s.trim().length > 0, { message: 'must not be blank' });

export const noPayload = z.strictObject({});

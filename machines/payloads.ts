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

/**
 * A signed, non-zero amount of minor units (an adjustment: `"-500"` takes 500 from the owner). The magnitude is
 * checked as any money string, so it fits a bigint column either way.
 */
export const signedMoneyString = z
  .string()
  // The shape, also in the OpenAPI schema (a pattern): an optional minus, then a whole number without leading zeros.
  .regex(/^-?[1-9][0-9]{0,18}$/, 'must be a non-zero decimal string of minor units, "-" for money taken')
  .refine(
    (s) => {
      const magnitude = parseMoney(s.startsWith('-') ? s.slice(1) : s);
      return magnitude !== null && magnitude !== 0n;
    },
    { message: 'must be a non-zero decimal string of minor units, "-" for money taken (e.g. "2500" or "-500")' },
  );

export const text = (maxChars: number) =>
  z
    .string()
    .max(maxChars)
    .refine((s) => s.trim().length > 0, { message: 'must not be blank' });

export const noPayload = z.strictObject({});

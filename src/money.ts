// Money is bigint minor units inside the service and a decimal string at every JSON border (STYLE §5, §11).
export const MONEY_MAX = 2n ** 63n - 1n; // fits Postgres bigint

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** Parses a decimal string of minor units; null when it is not one or does not fit a bigint column. */
export function parseMoney(text: string): bigint | null {
  if (!DECIMAL.test(text) || text.length > 19) return null;
  const value = BigInt(text);
  return value <= MONEY_MAX ? value : null;
}

export function formatMoney(value: bigint): string {
  return value.toString(10);
}

/**
 * One text per JSON value: object keys sorted (by UTF-16 code units), no whitespace, array order kept. Two bodies
 * that parse to the same value (keys in another order, other spacing, `1.0` for `1`) get the same text, so an
 * Idempotency-Key compares what was meant, not how it was spelled (docs/api.md "Conventions (v1.1)").
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  // Parsed JSON holds only strings, finite numbers, booleans and null here; anything else reads as null.
  return JSON.stringify(value) ?? 'null';
}

import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * docs/api.md: `X-Signature: sha256=<hex HMAC-SHA256(secret, "<X-Timestamp>.<raw body>")>`. The timestamp is inside
 * the signed text so a receiver can refuse replays of an old, captured delivery.
 */
export function signatureOf(secret: string, timestampS: number, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampS}.${rawBody}`).digest('hex')}`;
}

/** The receiver's check (used by tests and shown in the README): constant-time, so timing leaks nothing. */
export function verifySignature(secret: string, timestampS: string, rawBody: string, header: string): boolean {
  const expected = Buffer.from(signatureOf(secret, Number(timestampS), rawBody));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

import { signatureOf } from './signature.js';
import type { AttemptResult } from './delivery-claims.js';
import type { UrlPolicy } from '../net/url-policy.js';

export interface Outgoing {
  deliveryId: string;
  url: string;
  secret: string;
  body: string;
}

/**
 * One delivery attempt: POST the stored body, signed for this attempt's timestamp. Runs outside any database
 * transaction and gives up after `timeoutMs`. Redirects are not followed (a 3xx is a failure): following one
 * would let a receiver point us at a host the allow-list refuses. The URL is checked again here because the
 * allow-list may have been narrowed since the webhook was registered.
 */
export async function sendDelivery(
  out: Outgoing,
  policy: UrlPolicy,
  timeoutMs: number,
  now: () => number = Date.now,
): Promise<AttemptResult> {
  const started = now();
  const elapsed = () => Math.max(0, now() - started);
  const refusal = policy.refusal(out.url);
  if (refusal) return { ok: false, statusCode: null, error: `url refused: ${refusal}`, durationMs: 0 };
  const timestampS = Math.floor(started / 1000);
  try {
    const res = await fetch(out.url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'escrow-webhooks/1',
        'x-delivery-id': out.deliveryId,
        'x-timestamp': String(timestampS),
        'x-signature': signatureOf(out.secret, timestampS, out.body),
      },
      body: out.body,
    });
    // The receiver's reply body is not needed; discard it so the connection can be reused.
    await res.body?.cancel().catch(() => undefined);
    if (res.status >= 200 && res.status < 300) return { ok: true, statusCode: res.status, durationMs: elapsed() };
    return { ok: false, statusCode: res.status, error: `receiver answered ${res.status}`, durationMs: elapsed() };
  } catch (error) {
    const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    const reason =
      e.name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : (e.cause?.code ?? e.cause?.message ?? e.message ?? String(error));
    return { ok: false, statusCode: null, error: reason, durationMs: elapsed() };
  }
}

import helmet from 'helmet';

/** CSP directives by helmet's camelCase names (`scriptSrc`, `frameAncestors` …); null drops a directive. */
export type CspDirectives = Record<string, Iterable<string> | null>;

// What every HTML page gets unless it asks for more: its own origin only, no plugins, no framing by anyone
// (clickjacking: docs/api.md asks for frame-ancestors 'none'), inline styles allowed (the queue dashboard's markup
// uses them), inline scripts not. No upgrade-insecure-requests: a deployment reached over plain http on a
// private network would have its own page's requests rewritten to an https that does not answer.
const BASE_DIRECTIVES: CspDirectives = {
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  objectSrc: ["'none'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
};

/**
 * Security headers for an HTML page through helmet (STYLE §19: the well-kept library, not headers by hand):
 * Content-Security-Policy, X-Content-Type-Options: nosniff, X-Frame-Options: DENY, Referrer-Policy, and the
 * rest of helmet's defaults; X-Powered-By removed. Mounted for /console, /docs and /admin in app.ts. A page
 * that needs more than the base policy mounts `pageSecurityHeaders({ scriptSrc: [...] })` on its own route:
 * the later middleware's headers replace the earlier ones, and the overrides are merged into the base policy,
 * so frame-ancestors 'none' stays unless a page removes it on purpose.
 */
export function pageSecurityHeaders(overrides: CspDirectives = {}) {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { ...BASE_DIRECTIVES, ...overrides } },
    xFrameOptions: { action: 'deny' },
  });
}

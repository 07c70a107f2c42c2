// The JSON API with the token the agent pasted (kept in this tab's sessionStorage only).

const TOKEN_KEY = 'escrow-console-token';
const ACTOR_KEY = 'escrow-console-actor';

export class ApiFailure extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code ?? 'http_error';
    this.body = body;
  }
}

export const token = () => sessionStorage.getItem(TOKEN_KEY);
export const setToken = (value) => sessionStorage.setItem(TOKEN_KEY, value);
export const forgetToken = () => sessionStorage.removeItem(TOKEN_KEY);
/** The support agent's own user id, sent as `actor` of the events they send (a RULE is theirs). */
export const actor = () => sessionStorage.getItem(ACTOR_KEY) ?? '';
export const setActor = (value) => sessionStorage.setItem(ACTOR_KEY, value);

async function call(method, path, body, headers = {}) {
  const res = await fetch(path, {
    method,
    headers: {
      authorization: `Bearer ${token() ?? ''}`,
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const parsed = await res.json().catch(() => null);
  if (!res.ok) throw new ApiFailure(res.status, parsed);
  return parsed;
}

export const get = (path) => call('GET', path);
/** Every POST carries an idempotency key, so a double click or a retried request acts once. */
export const post = (path, body) => call('POST', path, body, { 'idempotency-key': crypto.randomUUID() });

export const q = (params) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') s.set(k, String(v));
  const text = s.toString();
  return text ? `?${text}` : '';
};

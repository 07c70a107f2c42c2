// Examples for /openapi.json, copied from real answers of the service (the README's worked example: alice
// employs bob on project "site", milestone "design" of 500.00 USD, half released). The OpenAPI test parses
// each one with the documented response schema, so an example cannot drift from the shape it illustrates.

const at = '2026-01-05T10:00:00.000Z';
const later = '2026-01-05T10:00:02.000Z';
const client = { id: 'cli_97d361e3f9564a3cbb3127746bb64ef8', name: 'marketplace-backend' };

export const projectExample = {
  id: 'site',
  state: 'in_progress',
  employerId: 'alice',
  freelancerId: 'bob',
  title: 'Website',
  currency: 'USD',
  currencyExponent: 2,
  seq: 2,
  machine: { name: 'project', version: 2 },
  allowedEvents: ['CANCEL_PROJECT', 'COMPLETE', 'REQUEST_PROJECT_CANCEL'],
  availableEvents: [
    { type: 'CANCEL_PROJECT', roles: ['employer'] },
    { type: 'COMPLETE', roles: ['employer'] },
    { type: 'REQUEST_PROJECT_CANCEL', roles: ['freelancer'] },
  ],
  milestones: { pending: 1, releasedTotal: '25000' },
  feedback: [],
  deadlines: [],
  createdAt: at,
  updatedAt: later,
};

export const milestoneExample = {
  id: 'design',
  projectId: 'site',
  state: 'in_progress',
  amount: '50000',
  releasedAmount: '25000',
  remainingAmount: '25000',
  pendingReleaseAmount: null,
  currency: 'USD',
  currencyExponent: 2,
  description: 'Design',
  employerId: 'alice',
  freelancerId: 'bob',
  flags: { releaseRequested: false, cancelRequested: false },
  cancelReason: null,
  lastSettlementFailure: null,
  dispute: null,
  rules: {
    arbitrationFee: '500',
    arbitrationFeeMs: 604800000,
    employerResponseMs: 1209600000,
    freelancerResponseMs: 345600000,
  },
  limits: {
    disputes: 5,
    cancelRequests: 10000,
    evidencePerDispute: 50,
    evidenceBytesPerDispute: 262144,
    used: { disputes: 0, cancelRequests: 0 },
  },
  heldAmount: '25000',
  deadlines: [],
  seq: 4,
  machine: { name: 'milestone', version: 3 },
  allowedEvents: ['RELEASE', 'REQUEST_RELEASE', 'REQUEST_CANCEL', 'CANCEL', 'OPEN_DISPUTE'],
  availableEvents: [
    { type: 'RELEASE', roles: ['employer'] },
    { type: 'REQUEST_RELEASE', roles: ['freelancer'] },
    { type: 'REQUEST_CANCEL', roles: ['employer'] },
    { type: 'CANCEL', roles: ['freelancer'] },
    { type: 'OPEN_DISPUTE', roles: ['employer', 'freelancer'] },
  ],
  createdAt: at,
  updatedAt: later,
};

/** The milestone as a CREATE answers it: funding, its settlement not yet run. */
export const fundingMilestoneExample = {
  ...milestoneExample,
  state: 'funding',
  releasedAmount: '0',
  remainingAmount: '50000',
  heldAmount: '0',
  seq: 1,
  allowedEvents: [],
  availableEvents: [],
  updatedAt: at,
};

export const historyExample = {
  items: [
    {
      seq: 1,
      type: 'CREATE',
      actor: 'alice',
      role: 'employer',
      payload: { amount: '50000', description: 'Design' },
      from: 'draft',
      to: 'funding',
      at,
      machineVersion: 3,
      client,
      transfers: [],
    },
    {
      seq: 2,
      type: 'SETTLED',
      actor: 'system',
      role: 'system',
      payload: { settlementId: '7' },
      from: 'funding',
      to: 'in_progress',
      at: later,
      machineVersion: 3,
      client: null,
      transfers: [
        { id: 'stl-7-0', kind: 'fund', from: 'available:USD:alice', to: 'escrow:USD:design', amount: '50000' },
      ],
    },
  ],
  nextCursor: '2',
};

export const replayExample = {
  id: 'design',
  machine: { name: 'milestone', version: 3 },
  seq: 4,
  to: 1,
  steps: [
    {
      seq: 1,
      event: { type: 'CREATE', actor: 'alice', amount: '50000', description: 'Design' },
      role: 'employer',
      machineVersion: 3,
      state: 'funding',
    },
  ],
  final: { seq: 1, state: 'funding', context: { amount: '50000', releasedAmount: '0' }, machineVersion: 3 },
  matchesStored: true,
  firstDivergence: null,
};

export const accountExample = {
  ownerId: 'alice',
  balances: [{ currency: 'USD', currencyExponent: 2, available: '50000', held: '25000' }],
};

export const statementExample = {
  ownerId: 'alice',
  currency: 'USD',
  currencyExponent: 2,
  from: '2026-01-01',
  to: '2026-02-01',
  openingBalance: '0',
  closingBalance: '50000',
  entries: [
    {
      transferId: 'dep_3bed2a2ae432413eb45fecefcf722384',
      at,
      kind: 'deposit',
      amount: '100000',
      balanceAfter: '100000',
      instanceId: null,
      seq: null,
    },
    {
      transferId: 'stl-7-0',
      at: later,
      kind: 'fund',
      amount: '-50000',
      balanceAfter: '50000',
      instanceId: 'design',
      seq: 2,
    },
  ],
  nextCursor: null,
};

export const statementCsvExample = [
  'transferId,at,kind,amount,balanceAfter,instanceId,seq',
  `dep_3bed2a2ae432413eb45fecefcf722384,${at},deposit,100000,100000,,`,
  `stl-7-0,${later},fund,-50000,50000,design,2`,
  '',
].join('\r\n');

export const depositExample = {
  transferId: 'dep_3bed2a2ae432413eb45fecefcf722384',
  currency: 'USD',
  currencyExponent: 2,
  balance: '100000',
};

export const notificationsExample = {
  items: [
    {
      id: '1',
      type: 'project.awarded',
      instanceId: 'site',
      message: 'You were awarded a project.',
      createdAt: at,
      readAt: null,
    },
  ],
  nextCursor: '1',
};

export const webhookExample = {
  id: 'wh_9dce441a4e1f47ee94ebfe458937562e',
  url: 'https://hooks.example.com/escrow',
  events: ['milestone.RELEASE', 'milestone.state.disputed'],
  createdAt: at,
};

export const statsExample = {
  milestones: { byState: { in_progress: 12, cancelled: 1, 'disputed.negotiation': 2 }, stuck: 0 },
  projects: { byState: { in_progress: 5 } },
  webhookDeliveries: { dead: 0 },
  asOf: at,
};

export const clientsExample = {
  items: [
    {
      id: client.id,
      name: client.name,
      scopes: ['events:write', 'read'],
      createdAt: at,
      lastUsedAt: later,
      expiresAt: null,
      revokedAt: null,
      rotatedAt: null,
    },
  ],
  nextCursor: null,
};

export const readinessExample = {
  ok: true,
  checks: { postgres: 'ok', redis: 'ok' },
  stuck: { count: 0, thresholdMs: 300000, oldest: null },
};

export const machinesExample = [
  { name: 'project', versions: [1, 2], current: 2 },
  { name: 'milestone', versions: [1, 2, 3], current: 3 },
];

export const pathsExample = {
  machine: { name: 'milestone', version: 3 },
  strategy: 'shortest',
  paths: [
    {
      target: 'funding',
      events: [{ type: 'CREATE', actor: 'employer', amount: '1000', description: 'Work' }],
    },
  ],
  truncated: true,
};

export type ErrorCode =
  | 'invalid_request'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'invalid_transition'
  | 'version_conflict'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'idempotency_key_reuse'
  | 'guard_failed'
  | 'history_too_long'
  | 'rate_limited'
  | 'unavailable';

const error = (code: string, message: string, extra: Record<string, unknown> = {}) => ({
  error: { code, message, ...extra, ...(Object.keys(extra).length > 0 && { details: extra }) },
});

/** Each error code: its status, when it is answered, and a body the service really sends. */
export const ERROR_EXAMPLES: Record<ErrorCode, { status: number; when: string; body: unknown }> = {
  invalid_request: {
    status: 400,
    when: 'malformed JSON, a schema violation, a bad money string, an unknown field, a malformed id, limit or cursor',
    body: error('invalid_request', 'Invalid project.', {
      issues: [{ path: 'currency', message: 'must be an ISO 4217 currency in current use, e.g. USD, EUR, JPY' }],
    }),
  },
  unauthenticated: {
    status: 401,
    when: 'no token, or an unknown, revoked or expired one',
    body: error('unauthenticated', 'A bearer token is required.'),
  },
  forbidden: {
    status: 403,
    when: "the token lacks the scope, or the actor's role may not send this event",
    body: error('forbidden', 'A freelancer may not send RELEASE.', { role: 'freelancer', allowedRoles: ['employer'] }),
  },
  not_found: {
    status: 404,
    when: 'no such id',
    body: error('not_found', 'No milestone with id nope.', { id: 'nope' }),
  },
  invalid_transition: {
    status: 409,
    when: 'the event is not allowed in the current state; the body names the state and allowedEvents',
    body: error('invalid_transition', 'RELEASE is not allowed while the milestone is cancelled.', {
      state: 'cancelled',
      allowedEvents: [],
    }),
  },
  version_conflict: {
    status: 409,
    when: "If-Match does not equal the instance's seq",
    body: error('version_conflict', 'Expected seq 1 but the milestone is at 4.', { seq: 4 }),
  },
  conflict: {
    status: 409,
    when: 'a create with an existing id and a different body',
    body: error('conflict', 'An instance with id site already exists with a different body.', { id: 'site' }),
  },
  payload_too_large: {
    status: 413,
    when: 'the body is over BODY_LIMIT_BYTES (64 KiB by default)',
    body: error('payload_too_large', 'The request body is larger than allowed.'),
  },
  unsupported_media_type: {
    status: 415,
    when: 'a body not sent as Content-Type: application/json in UTF-8; nothing changed',
    body: error('unsupported_media_type', 'A request body must be sent as application/json, not "text/plain".', {
      contentType: 'text/plain',
    }),
  },
  idempotency_key_reuse: {
    status: 422,
    when: 'the Idempotency-Key was used before with a different body',
    body: error('idempotency_key_reuse', 'This Idempotency-Key was used with a different request.'),
  },
  guard_failed: {
    status: 422,
    when: 'the event is known in this state but a rule refuses it; `rule` names the rule (docs/concepts.md)',
    body: {
      error: {
        code: 'guard_failed',
        message: 'RELEASE of 99999 exceeds the 25000 that remains.',
        rule: 'release_within_remaining',
        state: 'in_progress',
        requested: '99999',
        remaining: '25000',
        details: { requested: '99999', remaining: '25000' },
      },
    },
  },
  history_too_long: {
    status: 422,
    when: 'the instance has more history than a replay may read (REPLAY_MAX_EVENTS)',
    body: error('history_too_long', 'The milestone has 12000 events; replay is limited to 10000.', {
      seq: 12000,
      maxEvents: 10000,
    }),
  },
  rate_limited: {
    status: 429,
    when: "over the token's request budget, or too many failed authentications from this address",
    body: error('rate_limited', 'Too many requests for this token; retry after 1 s.', {
      retryAfterS: 1,
      limitPerSec: 10000,
      burst: 20000,
    }),
  },
  unavailable: {
    status: 503,
    when: 'a dependency (Postgres or Redis) does not answer; the body names it',
    body: error('unavailable', 'The settlement queue (Redis) did not answer; nothing was re-driven.'),
  },
};

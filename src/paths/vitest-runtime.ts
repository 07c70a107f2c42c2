// The runtime half of the generated vitest file (vitest-file.ts): plain JavaScript that the file carries verbatim,
// so it runs against a deployment with nothing from this repository installed. One section per job.

/** Where and as whom the file runs, and which events it cannot send itself. */
export const SETTINGS = `const BASE = process.env.ESCROW_BASE_URL ?? 'http://127.0.0.1:3000';
const TOKEN = process.env.ESCROW_TOKEN ?? '';
const TIMER_WAIT_MS = Number(process.env.ESCROW_TIMER_WAIT_MS ?? '0');
const TIMERS = new Set(['RESPONSE_TIMEOUT', 'ARBITRATION_FEE_TIMEOUT', 'FEEDBACK_WINDOW_CLOSED', 'CANCEL_REQUEST_TIMEOUT']);
const FUNDING = new Set(['CREATE', 'ACCEPT_REQUEST', 'FUND']);
const uid = (p) => p + '-' + Math.random().toString(16).slice(2, 12);
`;

/** HTTP calls that fail the test with the request and the answer when the status is not the expected one. */
export const HTTP_HELPERS = `async function call(method, path, body) {
  const res = await fetch(BASE + path, {
    method,
    headers: { authorization: 'Bearer ' + TOKEN, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json() };
}
async function ok(method, path, body, status = 200) {
  const res = await call(method, path, body);
  expect(res.status, method + ' ' + path + ' ' + JSON.stringify(body) + ' -> ' + JSON.stringify(res.body)).toBe(status);
  return res.body;
}
const deposit = (owner, amount) => ok('POST', '/v1/accounts/' + owner + '/deposits', { currency: 'USD', amount }, 201);
const settled = (id) => ok('GET', '/v1/milestones/' + id + '?wait=settled&timeoutMs=30000');
`;

/**
 * One driver per kind of step: each makes the deployment take the event and returns the instance as the API shows
 * it afterwards (a timer returns its history entry instead: the instance may have moved on since).
 */
export const STEP_DRIVERS = `async function start(w) {
  w.projectId = (await ok('POST', '/v1/projects', { employerId: w.employer, title: 'Generated', currency: 'USD' }, 201)).id;
  w.id = w.projectId;
  if (MACHINE.name === 'milestone') {
    await ok('POST', '/v1/projects/' + w.projectId + '/events', { type: 'AWARD', actor: w.employer, freelancerId: w.freelancer });
    await ok('POST', '/v1/projects/' + w.projectId + '/events', { type: 'ACCEPT_AWARD', actor: w.freelancer });
  }
}
async function timerStep(w, event) {
  // The deployment fires it when its configured duration passes; its history entry is the state it produced.
  const deadline = Date.now() + TIMER_WAIT_MS;
  let entry;
  while (!entry && Date.now() < deadline) {
    entry = (await ok('GET', w.base + w.id + '/history')).items.find((h) => h.type === event.type && h.seq > w.seq);
    if (!entry) await new Promise((r) => setTimeout(r, 100));
  }
  expect(entry, event.type + ' within ESCROW_TIMER_WAIT_MS').toBeDefined();
  return { state: entry.to, seq: entry.seq };
}
// The project's own events are the effects of what its milestones do.
async function childStep(w, event) {
  if (event.type === 'MILESTONE_REQUESTED') {
    await ok('POST', '/v1/projects/' + w.projectId + '/milestones', { type: 'REQUEST', actor: w.freelancer, amount: '100', description: 'r' }, 201);
  } else if (event.type === 'MILESTONE_OPENED') {
    await deposit(w.employer, '100');
    const m = await ok('POST', '/v1/projects/' + w.projectId + '/milestones', { type: 'CREATE', actor: w.employer, amount: '100', description: 'o' }, 201);
    await settled(m.id);
    w.open.push(m.id);
  } else if (event.type === 'MILESTONE_RELEASED') {
    await ok('POST', '/v1/milestones/' + w.open[0] + '/events', { type: 'RELEASE', actor: w.employer, amount: String(event.amount) });
    await settled(w.open[0]);
  } else {
    const m = w.open.shift();
    await ok('POST', '/v1/milestones/' + m + '/events', { type: 'CANCEL', actor: w.freelancer });
    await settled(m);
  }
  return ok('GET', w.base + w.id);
}
async function clientStep(w, event, next) {
  const { role, system, support, actor, ...fields } = event;
  if (FUNDING.has(event.type) && next?.type === 'SETTLED') await deposit(w.employer, String(event.amount ?? w.amount));
  if (event.type === 'PAY_ARBITRATION_FEE') await deposit(role === 'employer' ? w.employer : w.freelancer, w.fee);
  const body = { ...fields, actor: role === 'employer' ? w.employer : role === 'freelancer' ? w.freelancer : uid('staff') };
  if (event.type === 'AWARD') body.freelancerId = w.freelancer;
  let live;
  if (MACHINE.name === 'milestone' && (event.type === 'CREATE' || event.type === 'REQUEST')) {
    live = await ok('POST', '/v1/projects/' + w.projectId + '/milestones', body, 201);
    w.id = live.id;
  } else {
    live = await ok('POST', w.base + w.id + '/events', body);
  }
  if (MACHINE.name === 'milestone') {
    w.amount = live.amount;
    w.fee = live.rules?.arbitrationFee ?? '0';
  }
  return live;
}
`;

/** Runs each path step by step, checking the state the model expects after every one. */
export const RUN_PATHS = `const CHILD_EVENTS = new Set(['MILESTONE_REQUESTED', 'MILESTONE_OPENED', 'MILESTONE_RELEASED', 'MILESTONE_CLOSED']);

function step(w, event, next) {
  if (event.type === 'SETTLED' || event.type === 'SETTLEMENT_FAILED') return settled(w.id);
  if (TIMERS.has(event.type)) return timerStep(w, event);
  if (CHILD_EVENTS.has(event.type)) return childStep(w, event);
  return clientStep(w, event, next);
}

async function run(path) {
  const w = { employer: uid('emp'), freelancer: uid('fl'), open: [], seq: 0 };
  w.base = MACHINE.name === 'milestone' ? '/v1/milestones/' : '/v1/projects/';
  await start(w);
  for (const [i, { event, expect: state }] of path.steps.entries()) {
    const live = await step(w, event, path.steps[i + 1]?.event);
    expect(live.state, 'step ' + (i + 1) + ' ' + event.type + ' by ' + event.role).toEqual(state);
    w.seq = live.seq;
  }
}

describe(MACHINE.name + '@' + MACHINE.version + ' generated paths against ' + BASE, () => {
  PATHS.forEach((path, i) => {
    const timed = path.steps.some((s) => TIMERS.has(s.event.type));
    it.skipIf(timed && TIMER_WAIT_MS === 0)('path ' + (i + 1) + ' -> ' + JSON.stringify(path.target), () => run(path), 120_000);
  });
});
`;

// The runtime half of the generated vitest file (vitest-file.ts): plain JavaScript that the file carries verbatim,
// so it runs against a deployment with nothing from this repository installed. One section per job.

/** Where and as whom the file runs. */
export const SETTINGS = `const BASE = (process.env.ESCROW_BASE_URL ?? 'http://127.0.0.1:3000').replace(/\\/+$/, '');
const TOKEN = process.env.ESCROW_TOKEN ?? '';
const TIMER_WAIT_MS = Number(process.env.ESCROW_TIMER_WAIT_MS ?? '0');
const FUNDING = new Set(['CREATE', 'ACCEPT_REQUEST', 'FUND']);
const CHILD_EVENTS = new Set(['MILESTONE_REQUESTED', 'MILESTONE_OPENED', 'MILESTONE_RELEASED', 'MILESTONE_CLOSED']);
const SCOPES = 'ESCROW_TOKEN needs the read, events:write and admin scopes (and support for paths with RULE)';
const uid = (p) => p + '-' + Math.random().toString(16).slice(2, 12);
`;

/** HTTP calls that fail the test with the request and the answer when the status is not the expected one. */
export const HTTP_HELPERS = `async function call(method, path, body) {
  const res = await fetch(BASE + path, {
    method,
    headers: { authorization: 'Bearer ' + TOKEN, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
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
 * Before any path runs: does the deployment start new instances on the machine version this file was generated
 * for, with the same transitions? If not, the file fails once, saying both versions and what differs.
 */
export const DEPLOYMENT_CHECK = `const transitionLines = (definition) =>
  definition.transitions.map((t) => t.source + ' -' + t.event + '-> ' + t.targets.join(',') + (t.guard ? ' [' + t.guard + ']' : ''));

function differences(ours, theirs) {
  const only = (a, b) => a.filter((x) => !b.includes(x));
  const list = (title, items) =>
    items.length === 0 ? [] : [title + ' (' + items.length + '):', ...items.slice(0, 8).map((x) => '  ' + x), ...(items.length > 8 ? ['  ... and ' + (items.length - 8) + ' more'] : [])];
  return [...list('transitions only in this file', only(ours, theirs)), ...list('transitions only on the deployment', only(theirs, ours))];
}

async function deploymentProblem() {
  const name = MACHINE.name;
  const listed = await call('GET', '/v1/machines').catch((error) => ({ status: 0, body: String(error.cause ?? error) }));
  if (listed.status === 0) return 'Cannot reach ' + BASE + ' (ESCROW_BASE_URL): ' + listed.body;
  if (listed.status !== 200) return 'GET ' + BASE + '/v1/machines answered ' + listed.status + ' ' + JSON.stringify(listed.body) + '. ' + SCOPES + '.';
  const deployed = listed.body.find((m) => m.name === name);
  if (!deployed) return BASE + ' has no machine named ' + name + '.';
  const current = await call('GET', '/v1/machines/' + name + '?version=' + deployed.current);
  const diff = differences(TRANSITIONS, transitionLines(current.body));
  if (deployed.current === MACHINE.version && diff.length === 0) return null;
  const head =
    deployed.current === MACHINE.version
      ? 'This file was generated for ' + name + '@' + MACHINE.version + ', and ' + BASE + ' runs a ' + name + '@' + deployed.current + ' with other transitions.'
      : 'This file was generated for ' + name + '@' + MACHINE.version + ', but ' + BASE + ' starts new ' + name + ' instances on ' + name + '@' + deployed.current + '.';
  const again = 'Generate it again from that deployment: GET ' + BASE + '/v1/machines/' + name + '/paths?format=vitest';
  return [head, again, ...diff].join('\\n');
}
`;

/**
 * One driver per kind of step: each makes the deployment take the event and returns the instance's view
 * afterwards. A timer followed by an automatic step returns only the state its history entry recorded: the
 * instance moves on by itself.
 */
export const STEP_DRIVERS = `async function start(w) {
  w.projectId = (await ok('POST', '/v1/projects', { employerId: w.employer, title: 'Generated', currency: 'USD' }, 201)).id;
  w.id = w.projectId;
  if (MACHINE.name === 'milestone') {
    await ok('POST', '/v1/projects/' + w.projectId + '/events', { type: 'AWARD', actor: w.employer, freelancerId: w.freelancer });
    await ok('POST', '/v1/projects/' + w.projectId + '/events', { type: 'ACCEPT_AWARD', actor: w.freelancer });
  }
}
async function historyEntry(w, matches, waitMs) {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const entry = (await ok('GET', w.base + w.id + '/history?limit=200')).items.find(matches);
    if (entry || Date.now() >= deadline) return entry;
    await new Promise((r) => setTimeout(r, 100));
  }
}
// Time travel (ALLOW_TIME_TRAVEL on the deployment): the timer fires now, as the deployment's timers worker would.
async function firedTimer(w, event) {
  const res = await call('POST', '/v1/admin/instances/' + w.id + '/fire-timers', { event: event.type });
  if (res.status === 404 && res.body?.error?.details?.timeTravel === 'off') {
    if (TIMER_WAIT_MS === 0)
      throw new Error(event.type + ' is a timer: run against a test deployment with ALLOW_TIME_TRAVEL=1, or set ESCROW_TIMER_WAIT_MS against one configured with short durations.');
    const entry = await historyEntry(w, (h) => h.type === event.type && h.seq > w.seq, TIMER_WAIT_MS);
    expect(entry, event.type + ' within ESCROW_TIMER_WAIT_MS').toBeDefined();
    return entry;
  }
  expect(res.status, 'fire-timers -> ' + JSON.stringify(res.body) + '. ' + SCOPES).toBe(200);
  const timer = res.body.timers.find((t) => t.event === event.type);
  expect(timer, 'an armed ' + event.type + ' timer').toMatchObject({ outcome: 'fired' });
  return historyEntry(w, (h) => h.type === event.type && h.payload?.timerId === timer.timerId, 0);
}
async function timerStep(w, event, next) {
  const entry = await firedTimer(w, event);
  if (next?.system) return { state: entry.to, seq: entry.seq, partial: true };
  return ok('GET', w.base + w.id);
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
function step(w, event, next) {
  if (event.type === 'SETTLED' || event.type === 'SETTLEMENT_FAILED') return settled(w.id);
  if (TIMER_EVENTS.includes(event.type)) return timerStep(w, event, next);
  if (CHILD_EVENTS.has(event.type)) return childStep(w, event);
  return clientStep(w, event, next);
}
`;

/** Runs each path step by step, checking the state, allowed events and money the model predicts after every one. */
export const RUN_PATHS = `const observed = (live) => ({
  state: live.state,
  allowedEvents: live.allowedEvents,
  money:
    MACHINE.name === 'milestone'
      ? { amount: live.amount, releasedAmount: live.releasedAmount, remainingAmount: live.remainingAmount, heldAmount: live.heldAmount, pendingReleaseAmount: live.pendingReleaseAmount }
      : { milestones: live.milestones },
});

async function run(path) {
  const w = { employer: uid('emp'), freelancer: uid('fl'), open: [], seq: 0 };
  w.base = MACHINE.name === 'milestone' ? '/v1/milestones/' : '/v1/projects/';
  await start(w);
  for (const [i, { event, expect: want }] of path.steps.entries()) {
    const live = await step(w, event, path.steps[i + 1]?.event);
    const label = 'step ' + (i + 1) + ' of ' + path.steps.length + ': ' + event.type + ' by ' + event.role + ' on ' + w.id;
    if (live.partial) expect(live.state, label + ' (then the instance moves on by itself)').toEqual(want.state);
    else expect(observed(live), label).toEqual(want);
    w.seq = live.seq;
  }
}

const problem = await deploymentProblem();

describe(MACHINE.name + '@' + MACHINE.version + ' generated paths against ' + BASE, () => {
  if (problem) {
    it('runs against a deployment of ' + MACHINE.name + '@' + MACHINE.version, () => {
      throw new Error(problem);
    });
    return;
  }
  PATHS.forEach((path, i) => {
    const events = path.steps.map((s) => s.event.type + '/' + s.event.role).join(' > ');
    it('path ' + (i + 1) + ' -> ' + JSON.stringify(path.target) + ': ' + events, () => run(path), 120_000);
  });
});
`;

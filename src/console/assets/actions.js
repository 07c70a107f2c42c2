// Support actions: each behind a confirmation that says what will happen, sent as the real API call, and
// shown only to tokens with the support scope (the API refuses others anyway).
import { actor, post, setActor } from './api.js';
import { $, el } from './dom.js';
import { currencyExponent, majorUnits, money, parseMajor, stateLabel } from './format.js';

export const canSupport = (ctx) => ctx.me?.scopes?.includes('support') ?? false;

/**
 * Opens the confirmation dialog. `build(form)` returns the body nodes, a `summarise()` that restates, from the
 * form's current values, what will happen, and may bring its own `send()`; `done(result)` runs after success.
 */
export function confirmAction({ title, build, confirmLabel, send, done }) {
  const dialog = $('action-dialog');
  const message = el('p', { class: 'dialog-error', role: 'alert' });
  const summary = el('p', { class: 'dialog-summary', id: 'action-summary', 'aria-live': 'polite' });
  const confirm = el('button', { type: 'submit', class: 'primary' }, confirmLabel());
  const form = el('form', { method: 'dialog', class: 'action-form', 'aria-describedby': 'action-summary' });
  const built = build(form);
  const { body, summarise, valid = () => true } = built;
  const update = () => {
    summary.replaceChildren(...[summarise()].flat());
    confirm.textContent = confirmLabel();
    confirm.disabled = !valid();
  };
  form.append(
    el('h2', { id: 'action-title' }, title),
    ...body,
    summary,
    message,
    el(
      'div',
      { class: 'dialog-buttons' },
      el('button', { type: 'button', onclick: () => dialog.close() }, 'Cancel'),
      confirm,
    ),
  );
  form.addEventListener('input', update);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!valid()) return;
    confirm.disabled = true;
    message.textContent = '';
    try {
      const result = await (built.send ?? send)();
      dialog.close();
      await done?.(result);
    } catch (error) {
      message.textContent = `Not done: ${error.message}`;
      confirm.disabled = false;
    }
  });
  dialog.replaceChildren(form);
  dialog.setAttribute('aria-labelledby', 'action-title');
  update();
  dialog.showModal();
  form.querySelector('input, textarea, button')?.focus();
}

/** The field every event-sending action needs: the agent's own user id, remembered for this tab. */
function actorField() {
  const input = el('input', {
    id: 'action-actor',
    name: 'actor',
    required: true,
    value: actor(),
    autocomplete: 'off',
    spellcheck: false,
  });
  input.addEventListener('change', () => setActor(input.value.trim()));
  return {
    input,
    node: el(
      'p',
      { class: 'field' },
      el('label', { for: 'action-actor' }, 'Your user id (recorded as who acted)'),
      input,
    ),
  };
}

/** docs/concepts.md: after a ruling the party whose last offer is closer keeps its fee; on a tie both get theirs back. */
function feeVerdict(dispute, ruled) {
  const distance = (party) => {
    const offer = dispute.offers?.[party];
    if (offer === null || offer === undefined) return null;
    const d = BigInt(offer) - ruled;
    return d < 0n ? -d : d;
  };
  const e = distance('employer');
  const f = distance('freelancer');
  if (e === null || f === null || e === f) return 'Both arbitration fees are refunded.';
  const winner = e < f ? 'employer' : 'freelancer';
  const loser = winner === 'employer' ? 'freelancer' : 'employer';
  return `The ${winner}’s arbitration fee is refunded; the ${loser}’s is kept by the platform.`;
}

/** RULE on a milestone in arbitration: amount to the freelancer (live split preview) and a reason. */
export function ruleButton(view, ctx) {
  if (!canSupport(ctx)) return null;
  const open = () =>
    confirmAction({
      title: `Rule on milestone ${view.id}`,
      build: () => ruleForm(view),
      confirmLabel: () => `Rule: ${ruleLabel.text || 'enter an amount'}`,
      done: () => ctx.reopen(`Ruling sent for milestone ${view.id}.`),
    });
  return el('button', { type: 'button', class: 'primary', onclick: open }, 'Rule this arbitration…');
}

// What the confirm button says: the amount to the freelancer, as the form has it now.
const ruleLabel = { text: '' };

function ruleForm(view) {
  const exponent = currencyExponent(view.currency, view.currencyExponent);
  const total = BigInt(view.remainingAmount);
  const amount = el('input', {
    id: 'rule-amount',
    name: 'amount',
    required: true,
    inputmode: 'decimal',
    autocomplete: 'off',
    'aria-describedby': 'rule-amount-help',
  });
  const slider = el('input', {
    id: 'rule-slider',
    type: 'range',
    min: '0',
    max: total.toString(),
    step: '1',
    value: '0',
    'aria-label': 'Amount to the freelancer',
  });
  const reason = el('textarea', { id: 'rule-reason', name: 'reason', required: true, rows: 3, maxLength: 2000 });
  const who = actorField();
  const minor = () => parseMajor(amount.value, exponent);
  const within = () => minor() !== null && BigInt(minor()) <= total;
  slider.addEventListener('input', () => {
    amount.value = majorUnits(slider.value, exponent);
  });
  amount.addEventListener('input', () => {
    if (within()) slider.value = minor();
  });
  amount.value = majorUnits('0', exponent);
  const fmt = (m) => money(m, view.currency, view.currencyExponent);
  const offers = view.dispute?.offers ?? {};
  return {
    body: [
      el('p', {}, 'Amount in dispute: ', fmt(total.toString()), '. The ruling is final: the split is settled at once.'),
      el(
        'p',
        {},
        'Last offers to the freelancer: employer ',
        fmt(offers.employer ?? null),
        ', freelancer ',
        fmt(offers.freelancer ?? null),
        '.',
      ),
      el(
        'p',
        { class: 'field' },
        el('label', { for: 'rule-amount' }, `Amount to the freelancer (${view.currency})`),
        amount,
        slider,
        el(
          'span',
          { id: 'rule-amount-help', class: 'help' },
          fmt('0'),
          ' … ',
          fmt(total.toString()),
          '; the rest goes back to the employer.',
        ),
      ),
      el(
        'p',
        { class: 'field' },
        el('label', { for: 'rule-reason' }, 'Reason (kept with the ruling in the history)'),
        reason,
      ),
      who.node,
    ],
    valid: () => within() && reason.value.trim() !== '' && who.input.value.trim() !== '',
    summarise: () => {
      ruleLabel.text = within() ? `${fmt(minor()).textContent} to the freelancer` : '';
      if (!within()) return `Enter an amount between 0 and ${majorUnits(total.toString(), exponent)}.`;
      const toFreelancer = BigInt(minor());
      return [
        'Freelancer ',
        view.freelancerId,
        ' receives ',
        fmt(toFreelancer.toString()),
        '; employer ',
        view.employerId,
        ' gets ',
        fmt((total - toFreelancer).toString()),
        ' back. ',
        feeVerdict(view.dispute ?? {}, toFreelancer),
      ];
    },
    send: () =>
      post(`/v1/milestones/${encodeURIComponent(view.id)}/events`, {
        type: 'RULE',
        actor: who.input.value.trim(),
        amountToFreelancer: minor(),
        reason: reason.value.trim(),
      }),
  };
}

/** Re-drive a settling milestone's settlement job. */
export function redriveButton(m, ctx) {
  if (!canSupport(ctx)) return el('span', { class: 'muted' }, 'Support scope needed');
  const open = () =>
    confirmAction({
      title: `Re-drive the settlement of ${m.id}`,
      build: () => ({
        body: [
          el(
            'p',
            {},
            `Milestone ${m.id} has been `,
            el('strong', {}, stateLabel(m.state)),
            ' since ',
            new Date(m.updatedAt).toISOString().slice(0, 16).replace('T', ' '),
            ' UTC.',
          ),
        ],
        summarise: () =>
          'Its settlement job goes back on the settlement queue, and a worker settles it. Safe to repeat: a settlement never moves money twice.',
      }),
      confirmLabel: () => 'Re-drive settlement',
      send: () => post(`/v1/milestones/${encodeURIComponent(m.id)}/redrive`, {}),
      done: (result) => ctx.reopen(`Re-drive of ${m.id}: ${result.outcome.replace(/_/g, ' ')}.`),
    });
  return el('button', { type: 'button', onclick: open }, 'Re-drive…');
}

/** Retry a dead webhook delivery. */
export function retryDeliveryButton(d, ctx) {
  if (!canSupport(ctx)) return el('span', { class: 'muted' }, 'Support scope needed');
  const open = () =>
    confirmAction({
      title: `Retry delivery ${d.id}`,
      build: () => ({
        body: [
          el('p', {}, `${d.type} of ${d.machine} ${d.instanceId} (step ${d.seq}) to `, el('code', {}, d.url), '.'),
        ],
        summarise: () =>
          `The same document is sent again, with a fresh set of attempts; it failed ${d.attemptCount} time(s) before.`,
      }),
      confirmLabel: () => 'Retry delivery',
      send: () =>
        post(`/v1/webhooks/${encodeURIComponent(d.webhookId)}/deliveries/${encodeURIComponent(d.id)}/retry`, {}),
      done: () => ctx.reopen(`Delivery ${d.id} is queued again.`),
    });
  return el('button', { type: 'button', onclick: open }, 'Retry…');
}

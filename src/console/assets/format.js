// How the console writes states, money and time: one way each, everywhere on the page (STYLE §19).

/** `awaiting_response` → `Awaiting response` (src/console/state-names.ts has the same rule for the diagram). */
export function stateName(key) {
  const words = String(key).replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A state value (`'in_progress'` or `{disputed: 'negotiation'}`) as its path: `disputed.negotiation`. */
export function statePath(value) {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const [key, child] = Object.entries(value)[0] ?? [];
    if (key === undefined) return '';
    const rest = statePath(child);
    return rest ? `${key}.${rest}` : key;
  }
  return '';
}

/** `{disputed: 'negotiation'}` or `disputed.negotiation` → `Disputed › Negotiation`. */
export function stateLabel(value) {
  const path = typeof value === 'string' ? value : statePath(value);
  return path.split('.').filter(Boolean).map(stateName).join(' › ');
}

/** Every path the value is in, outermost first: `{disputed: 'negotiation'}` → [disputed, disputed.negotiation]. */
export function activePaths(value) {
  const parts = statePath(value).split('.').filter(Boolean);
  return parts.map((_, i) => parts.slice(0, i + 1).join('.'));
}

// ---- money ----------------------------------------------------------------------------------------------------

const exponents = new Map();

/**
 * Digits after the decimal point in a currency: the view's `currencyExponent` when it has one, else what the
 * browser's ISO 4217 data says (2 for USD, 0 for JPY, 3 for KWD).
 */
export function currencyExponent(currency, fromView) {
  if (Number.isInteger(fromView)) return fromView;
  if (!exponents.has(currency)) {
    let digits = 2;
    try {
      digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
    } catch {
      // An unknown code: show minor units with two decimals, as most currencies have.
    }
    exponents.set(currency, digits);
  }
  return exponents.get(currency);
}

/** Minor units (a decimal string, any size) as a decimal string in major units, without floating point. */
const MACHINE_WORDS = { milestone: 'Milestone', project: 'Project', payout: 'Payout', adjustment: 'Adjustment' };

/** A machine's name as a page says it: `payout` → `Payout`. */
export function machineWord(machine) {
  return MACHINE_WORDS[machine] ?? machine;
}

export function majorUnits(minor, exponent) {
  const negative = String(minor).startsWith('-');
  const digits = String(minor)
    .replace(/^-/, '')
    .padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = exponent > 0 ? `.${digits.slice(digits.length - exponent)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/** Decimal text in major units (`700`, `700.5`, `700.50`) → minor units as a decimal string, or null. */
export function parseMajor(text, exponent) {
  const match = /^\s*(\d{1,18})(?:[.,](\d*))?\s*$/.exec(text);
  if (!match || (match[2] ?? '').length > exponent) return null;
  const minor = `${match[1]}${(match[2] ?? '').padEnd(exponent, '0')}`.replace(/^0+(?=\d)/, '');
  return minor;
}

/** `"125000", "USD"` → `$1,250.00`, with the minor units on hover. */
export function money(minor, currency, exponentFromView) {
  const span = document.createElement('span');
  span.className = 'money';
  if (minor === null || minor === undefined || minor === '') {
    span.textContent = '—';
    return span;
  }
  const exponent = currencyExponent(currency, exponentFromView);
  const major = majorUnits(minor, exponent);
  let text;
  try {
    // A decimal string keeps every digit (Intl formats strings exactly; a Number would round large amounts).
    text = new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency,
      minimumFractionDigits: exponent,
      maximumFractionDigits: exponent,
    }).format(major);
  } catch {
    text = `${major} ${currency}`;
  }
  span.textContent = text;
  span.title = `${minor} minor units of ${currency} (${exponent} decimal${exponent === 1 ? '' : 's'})`;
  return span;
}

// ---- time -----------------------------------------------------------------------------------------------------

/** `2026-12-04 16:59 UTC`: one format for every time on the page. */
export function utc(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const UNITS = [
  ['day', 86_400_000],
  ['h', 3_600_000],
  ['min', 60_000],
  ['s', 1_000],
];

/** `3 min ago`, `in 13 days 4 h`: the two largest units of the distance from now. */
export function relative(iso, now = Date.now()) {
  const ms = new Date(iso).getTime() - now;
  let left = Math.abs(ms);
  if (left < 1_000) return 'now';
  const parts = [];
  for (const [unit, size] of UNITS) {
    if (left >= size && parts.length < 2) {
      const n = Math.floor(left / size);
      parts.push(`${n} ${unit}${unit === 'day' && n !== 1 ? 's' : ''}`);
      left -= n * size;
    } else if (parts.length > 0) break;
  }
  const span = parts.join(' ');
  return ms < 0 ? `${span} ago` : `in ${span}`;
}

/** A `<time>` showing UTC and how long ago (or how soon); refreshed by `refreshTimes()`. */
export function time(iso, { countdown = false } = {}) {
  const node = document.createElement('time');
  node.dateTime = iso;
  node.dataset.relative = countdown ? 'countdown' : 'relative';
  node.className = countdown ? 'countdown' : 'when';
  fillTime(node);
  return node;
}

function fillTime(node) {
  const iso = node.dateTime;
  const rel = relative(iso);
  if (node.dataset.relative === 'countdown') {
    const overdue = new Date(iso).getTime() < Date.now();
    node.textContent = overdue ? `overdue (${utc(iso)})` : `${rel.replace(/^in /, '')} left`;
    node.title = utc(iso);
    node.classList.toggle('overdue', overdue);
  } else {
    node.textContent = `${utc(iso)} (${rel})`;
  }
}

/** Keeps every relative time on the page current (called on a timer). */
export function refreshTimes(root = document) {
  for (const node of root.querySelectorAll('time[data-relative]')) fillTime(node);
}

// ---- accounts -------------------------------------------------------------------------------------------------

/** A ledger account id (`available:USD:emp-1`, `escrow:USD:ms_1`, …) as words, for "where the money went". */
export function accountLabel(id, view) {
  const [kind, , owner, payer] = String(id).split(':');
  const who = (party) =>
    party === view?.employerId ? `employer ${party}` : party === view?.freelancerId ? `freelancer ${party}` : party;
  switch (kind) {
    case 'available':
      return `${who(owner)}: available balance`;
    case 'escrow':
      return owner === view?.id ? 'Escrow of this milestone' : `Escrow of milestone ${owner}`;
    case 'fee-hold':
      return `${stateName(payer ?? 'party')}'s arbitration fee, held`;
    case 'fees':
      return 'Platform fees';
    case 'external':
      return 'Outside the platform';
    case 'payout-hold':
      return `${who(owner)}: held for payouts`;
    case 'adjustments':
      return 'Platform adjustments';
    default:
      return String(id);
  }
}

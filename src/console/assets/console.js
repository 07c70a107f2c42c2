// Support console (issue 16): plain DOM and ES modules, no framework. Hash routes: #queues (home), #milestone/<id>,
// #project/<id>, #payout/<id>, #adjustment/<id>, #search/<term>. Every view is rendered from the JSON API with the agent's token.
import { ApiFailure, forgetToken, get, setToken, token } from './api.js';
import { $, el } from './dom.js';
import { machineWord, refreshTimes, stateLabel } from './format.js';
import { renderQueues } from './queues.js';
import { renderCase } from './case-view.js';

const TIME_REFRESH_MS = 30_000;

const ctx = {
  me: null,
  say(message) {
    $('status').textContent = message;
  },
  fail(error) {
    if (error instanceof ApiFailure && error.status === 401) {
      forgetToken();
      ctx.me = null;
      showToken();
      ctx.say('The token was refused. Paste a valid token.');
      $('token-input').focus();
      return;
    }
    ctx.say(`Error: ${error.message}`);
  },
  refresh: () => route(),
  /** After an action: say what happened and show the case (or queue) again, from the server. */
  async reopen(message) {
    await route();
    ctx.say(message);
  },
};

function showToken() {
  const has = token() !== null;
  $('token-form').hidden = has;
  $('token-set').hidden = !has;
  $('whoami').textContent = ctx.me
    ? `Signed in as ${ctx.me.name} (${ctx.me.scopes.join(', ')})`
    : 'Token in use for this tab.';
}

async function whoAmI() {
  if (!token() || ctx.me) return;
  ctx.me = await get('/v1/console/me');
  showToken();
}

async function search(term) {
  const view = $('view');
  const { items, truncated } = await get(`/v1/console/search?q=${encodeURIComponent(term)}`);
  if (items.length === 1 && items[0].match === 'id') {
    location.hash = `#${items[0].machine}/${encodeURIComponent(items[0].id)}`;
    return;
  }
  view.replaceChildren(
    el('h2', { id: 'page-heading', tabindex: '-1' }, `Search: ${term}`),
    items.length === 0
      ? el('p', {}, `Nothing found for ${term}.`)
      : el(
          'ul',
          { class: 'results', 'aria-label': 'Search results' },
          items.map((hit) =>
            el(
              'li',
              {},
              el(
                'a',
                { href: `#${hit.machine}/${encodeURIComponent(hit.id)}` },
                `${machineWord(hit.machine)} ${hit.id}`,
              ),
              el(
                'span',
                { class: 'muted' },
                ` — ${stateLabel(hit.state)}, ${hit.match === 'id' ? 'by id' : hit.match === 'project' ? `in project ${hit.projectId}` : 'a party'}`,
              ),
            ),
          ),
        ),
    truncated ? el('p', { class: 'muted' }, 'More results than shown: narrow the search.') : null,
  );
  ctx.say(
    items.length === 0 ? `Nothing found for ${term}.` : `${items.length}${truncated ? '+' : ''} found for ${term}.`,
  );
}

let routing = 0;
async function route() {
  const mine = ++routing;
  const view = $('view');
  if (!token()) {
    view.replaceChildren(
      el('h2', { id: 'page-heading', tabindex: '-1' }, 'Paste an API token to start'),
      el(
        'p',
        {},
        'The console reads the API with your token: it needs the read scope, and the support scope for support actions (ruling arbitrations, re-driving settlements, retrying webhooks).',
      ),
    );
    return;
  }
  try {
    await whoAmI();
    const match = /^#(milestone|project|payout|adjustment|search)\/(.+)$/.exec(location.hash);
    $('nav-queues').toggleAttribute('aria-current', !match);
    if (match?.[1] === 'search') await search(decodeURIComponent(match[2]));
    else if (match) await renderCase(view, match[1], decodeURIComponent(match[2]), ctx, () => mine !== routing);
    else await renderQueues(view, ctx);
    if (mine === routing) $('page-heading')?.focus();
  } catch (error) {
    ctx.fail(error);
  }
}

function start() {
  showToken();
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const value = $('token-input').value.trim();
    if (!value) return;
    setToken(value);
    $('token-input').value = '';
    showToken();
    ctx.say('Token saved for this tab.');
    void route();
  });
  $('forget-token').addEventListener('click', () => {
    forgetToken();
    ctx.me = null;
    showToken();
    ctx.say('Token forgotten.');
    void route();
    $('token-input').focus();
  });
  $('search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const term = $('search-input').value.trim();
    if (term) location.hash = `#search/${encodeURIComponent(term)}`;
  });
  window.addEventListener('hashchange', () => void route());
  setInterval(() => refreshTimes(), TIME_REFRESH_MS);
  void route();
}

start();

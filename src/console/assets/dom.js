// Building DOM from API data: every value goes in as text (never HTML), so a stored string can never become
// markup or script in a support agent's browser.

export const $ = (id) => document.getElementById(id);

/** `el('a', {href, class}, child, 'text', …)`: attributes by name; `on*` functions become listeners. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k in node && !k.startsWith('data-') && !k.startsWith('aria-') && k !== 'role') node[k] = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes; text children become text nodes. */
export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  append(node, children);
  return node;
}

/** A definition list from [term, value] pairs (values may be nodes). */
export function facts(pairs, props = {}) {
  return el(
    'dl',
    { class: 'facts', ...props },
    pairs.filter(Boolean).flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v ?? '—')]),
  );
}

/** A table with a caption (for screen readers), column headers and rows of cells (nodes or text). */
export function table(caption, headers, rows, props = {}) {
  return el(
    'table',
    { class: `grid ${props.class ?? ''}` },
    el('caption', { class: 'visually-hidden' }, caption),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        headers.map((h) => el('th', { scope: 'col' }, h)),
      ),
    ),
    el(
      'tbody',
      {},
      rows.map((cells) =>
        el(
          'tr',
          cells.attrs ?? {},
          (cells.cells ?? cells).map((c, i) => el('td', { 'data-label': headers[i] }, el('div', { class: 'cell' }, c))),
        ),
      ),
    ),
  );
}

import type { Layout } from './layered-layout.js';

const escapeXml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);

/**
 * Renders a laid-out machine as standalone SVG. Each state is a `<g data-state="<path>">`, so the console
 * highlights the current state by toggling a class, without re-rendering. The `<desc>` spells out every
 * transition for screen readers, which cannot follow arrows.
 */
export function diagramSvg(layout: Layout, title: string): string {
  const describe = layout.edges
    .filter((e) => e.kind === 'event')
    .map((e) => `${e.from} to ${e.to} on ${e.label}`)
    .join('; ');
  const edges = layout.edges.map(
    (e) =>
      `<g class="edge edge-${e.kind}" data-from="${escapeXml(e.from)}" data-to="${escapeXml(e.to)}">` +
      `<path d="${e.d}" marker-end="url(#arrow)"/>` +
      (e.label
        ? `<text class="edge-label" x="${e.labelX}" y="${e.labelY}" text-anchor="middle">${escapeXml(e.label)}</text>`
        : '') +
      '</g>',
  );
  const nodes = layout.nodes.map((n) => {
    const internal = n.internalEvents.map(
      (ev, i) =>
        `<text class="internal" x="${n.x + n.width / 2}" y="${n.y + 38 + i * 14}" text-anchor="middle">↻ ${escapeXml(ev)}</text>`,
    );
    return (
      `<g class="state state-${escapeXml(n.kind)}" data-state="${escapeXml(n.id)}">` +
      `<rect x="${n.x}" y="${n.y}" width="${n.width}" height="${n.height}" rx="8"/>` +
      `<text class="state-label" x="${n.x + n.width / 2}" y="${n.y + 21}" text-anchor="middle">${escapeXml(n.label)}</text>` +
      internal.join('') +
      '</g>'
    );
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="machine-diagram" viewBox="0 0 ${layout.width} ${layout.height}" ` +
    `width="${layout.width}" height="${layout.height}" role="img" aria-labelledby="diagram-title diagram-desc">` +
    `<title id="diagram-title">${escapeXml(title)}</title>` +
    `<desc id="diagram-desc">${escapeXml(`States: ${layout.nodes.map((n) => n.id).join(', ')}. Transitions: ${describe}.`)}</desc>` +
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">' +
    '<path d="M0,0 L10,5 L0,10 z"/></marker></defs>' +
    `<g class="edges">${edges.join('')}</g><g class="states">${nodes.join('')}</g></svg>`
  );
}

// The state diagram: ELK lays it out in a web worker, this module draws it as SVG and lets the agent zoom and pan.
// The current state and the path the case took (up to the replay step shown) are highlighted.
import { el, svg } from './dom.js';

const MIN_SCALE = 0.15;
const MAX_SCALE = 2.5;
const ZOOM_STEP = 1.25;
const PAN_STEP_PX = 60;

let worker = null;
let requests = 0;
const pending = new Map();
const layouts = new Map();

function layoutInWorker(graph, engine) {
  if (!worker) {
    worker = new Worker('/console/elk-worker.js');
    worker.onmessage = ({ data }) => {
      const p = pending.get(data.id);
      pending.delete(data.id);
      if (data.error) p?.reject(new Error(`diagram layout failed: ${data.error}`));
      else p?.resolve(data.laid);
    };
    // A worker that cannot start (or dies) fails every layout it owed, rather than leave them waiting.
    worker.onerror = (event) => {
      for (const p of pending.values())
        p.reject(new Error(`diagram layout failed: ${event.message ?? 'worker error'}`));
      pending.clear();
      worker = null;
      layouts.clear();
    };
  }
  const id = ++requests;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, graph, engine });
  });
}

/** The laid-out diagram of one machine version (each is laid out once per page). */
export function laidOut(diagram) {
  const key = `${diagram.name}@${diagram.version}`;
  if (!layouts.has(key)) layouts.set(key, layoutInWorker(diagram.elk, diagram.layoutEngine));
  return layouts.get(key);
}

function flatten(node, out = new Map()) {
  for (const c of node.children ?? []) {
    out.set(c.id, c);
    flatten(c, out);
  }
  return out;
}

const pathOf = (points) => points.map((p, i) => `${i ? 'L' : 'M'}${p.x},${p.y}`).join(' ');

function drawNode(n, box) {
  if (n.kind === 'initial') {
    return svg('circle', { class: 'start', cx: box.x + box.width / 2, cy: box.y + box.height / 2, r: box.width / 2 });
  }
  const g = svg('g', { class: `state state-${n.kind}`, 'data-state': n.id });
  if (n.kind === 'compound') {
    g.append(
      svg('rect', { class: 'cluster', x: box.x, y: box.y, width: box.width, height: box.height, rx: 10 }),
      svg('text', { class: 'cluster-label', x: box.x + 12, y: box.y + 20 }, n.label),
    );
    return g;
  }
  g.append(svg('rect', { x: box.x, y: box.y, width: box.width, height: box.height, rx: 8 }));
  if (n.kind === 'final')
    g.append(
      svg('rect', {
        class: 'final-ring',
        x: box.x + 3,
        y: box.y + 3,
        width: box.width - 6,
        height: box.height - 6,
        rx: 6,
      }),
    );
  g.append(
    svg('text', { class: 'state-label', x: box.x + box.width / 2, y: box.y + 21, 'text-anchor': 'middle' }, n.label),
  );
  n.internalEvents.forEach((ev, i) =>
    g.append(
      svg(
        'text',
        { class: 'internal', x: box.x + box.width / 2, y: box.y + 38 + i * 14, 'text-anchor': 'middle' },
        `↻ ${ev}`,
      ),
    ),
  );
  return g;
}

function drawEdge(meta, laidEdge) {
  const section = laidEdge.sections?.[0];
  if (!section) return null;
  const points = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint];
  const g = svg('g', {
    class: `edge edge-${meta.kind}`,
    'data-from': meta.from,
    'data-to': meta.to,
    'data-events': meta.events.join(' '),
  });
  g.append(svg('path', { d: pathOf(points), 'marker-end': 'url(#arrow)' }));
  const label = laidEdge.labels?.[0];
  if (label) {
    g.append(
      svg('rect', {
        class: 'edge-label-bg',
        x: label.x - 2,
        y: label.y,
        width: label.width + 4,
        height: label.height,
        rx: 3,
      }),
      svg(
        'text',
        { class: 'edge-label', x: label.x + label.width / 2, y: label.y + label.height - 4, 'text-anchor': 'middle' },
        label.text,
      ),
    );
  }
  return g;
}

function description(diagram) {
  const events = diagram.edges
    .filter((e) => e.kind === 'event')
    .map((e) => `${e.from} to ${e.to} on ${e.events.join(' or ')}`);
  return `States: ${diagram.states.join(', ')}. Transitions: ${events.join('; ')}.`;
}

/** Draws a laid-out diagram into `host` and returns its controls. */
export function drawDiagram(host, diagram, laid, title) {
  const boxes = flatten(laid);
  const edgesById = new Map((laid.edges ?? []).map((e) => [e.id, e]));
  const titleId = `diagram-title-${diagram.name}`;
  const descId = `diagram-desc-${diagram.name}`;
  const root = svg('svg', {
    class: 'machine-diagram',
    viewBox: `0 0 ${laid.width} ${laid.height}`,
    role: 'img',
    'aria-labelledby': `${titleId} ${descId}`,
    preserveAspectRatio: 'xMidYMid meet',
  });
  root.append(
    svg('title', { id: titleId }, title),
    svg('desc', { id: descId }, description(diagram)),
    svg(
      'defs',
      {},
      ['arrow', 'arrow-path'].map((id) =>
        svg(
          'marker',
          {
            id,
            viewBox: '0 0 10 10',
            refX: 9,
            refY: 5,
            markerWidth: 8,
            markerHeight: 8,
            orient: 'auto-start-reverse',
            markerUnits: 'userSpaceOnUse',
          },
          svg('path', { d: 'M0,0 L10,5 L0,10 z', class: id }),
        ),
      ),
    ),
  );
  const clusters = svg('g', { class: 'clusters' });
  const edges = svg('g', { class: 'edges' });
  const states = svg('g', { class: 'states' });
  for (const n of diagram.nodes) {
    const box = boxes.get(n.id);
    if (box) (n.kind === 'compound' ? clusters : states).append(drawNode(n, box));
  }
  for (const meta of diagram.edges) {
    const g = drawEdge(meta, edgesById.get(meta.id) ?? {});
    if (g) edges.append(g);
  }
  root.append(clusters, edges, states);
  const viewport = el(
    'div',
    {
      class: 'diagram-viewport',
      tabindex: '0',
      role: 'group',
      'aria-label': `${title}: arrow keys pan, + and − zoom, 0 fits the width`,
    },
    root,
  );
  host.replaceChildren(viewport);
  return new DiagramView(viewport, root, laid, boxes);
}

/** Zoom and pan by moving the SVG's viewBox; the page itself never scrolls sideways. */
class DiagramView {
  constructor(viewport, root, laid, boxes) {
    Object.assign(this, { viewport, root, laid, boxes, view: null, current: null });
    this.listen();
  }

  listen() {
    let drag = null;
    this.viewport.addEventListener('pointerdown', (e) => {
      drag = { x: e.clientX, y: e.clientY, view: { ...this.view } };
      this.viewport.setPointerCapture(e.pointerId);
    });
    this.viewport.addEventListener('pointermove', (e) => {
      if (!drag) return;
      const k = this.view.width / this.viewport.clientWidth;
      this.show({ ...drag.view, x: drag.view.x - (e.clientX - drag.x) * k, y: drag.view.y - (e.clientY - drag.y) * k });
    });
    this.viewport.addEventListener('pointerup', () => (drag = null));
    this.viewport.addEventListener('keydown', (e) => {
      const k = this.view.width / this.viewport.clientWidth;
      const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
      if (moves[e.key]) {
        const [dx, dy] = moves[e.key];
        this.show({ ...this.view, x: this.view.x + dx * PAN_STEP_PX * k, y: this.view.y + dy * PAN_STEP_PX * k });
      } else if (e.key === '+' || e.key === '=') this.zoom(ZOOM_STEP);
      else if (e.key === '-' || e.key === '−') this.zoom(1 / ZOOM_STEP);
      else if (e.key === '0') this.fitWidth();
      else return;
      e.preventDefault();
    });
    this.resize = new ResizeObserver(() => this.view && this.show(this.view));
    this.resize.observe(this.viewport);
  }

  /** Scale 1 = one SVG unit per CSS pixel. */
  scale() {
    return this.viewport.clientWidth / this.view.width;
  }

  show(view) {
    const { width: w, height: h } = this.laid;
    const vw = view.width;
    const vh = vw * (this.viewport.clientHeight / Math.max(1, this.viewport.clientWidth));
    // Keep some of the drawing in sight: the view may not wander off it.
    const x = Math.min(Math.max(view.x, -vw / 2), w - vw / 2);
    const y = Math.min(Math.max(view.y, -vh / 2), h - vh / 2);
    this.view = { x, y, width: vw, height: vh };
    this.root.setAttribute('viewBox', `${x} ${y} ${vw} ${vh}`);
  }

  /** The whole width at up to full size, centred on the current state: the default. */
  fitWidth() {
    const width = Math.max(this.laid.width, this.viewport.clientWidth);
    this.show({ x: (this.laid.width - width) / 2, y: 0, width });
    this.centreOn(this.current);
  }

  /** The whole drawing in the viewport, however small. */
  fitAll() {
    const ratio = this.viewport.clientHeight / Math.max(1, this.viewport.clientWidth);
    const width = Math.max(this.laid.width, this.laid.height / ratio);
    this.show({ x: (this.laid.width - width) / 2, y: (this.laid.height - width * ratio) / 2, width });
  }

  zoom(factor) {
    const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, this.scale() * factor));
    const width = this.viewport.clientWidth / scale;
    const box = this.current && this.boxes.get(this.current);
    const cx = box ? box.x + box.width / 2 : this.view.x + this.view.width / 2;
    const cy = box ? box.y + box.height / 2 : this.view.y + this.view.height / 2;
    const height = width * (this.viewport.clientHeight / Math.max(1, this.viewport.clientWidth));
    this.show({ x: cx - width / 2, y: cy - height / 2, width });
  }

  centreOn(id) {
    const box = id && this.boxes.get(id);
    if (!box || !this.view) return;
    this.show({
      ...this.view,
      x: this.laid.width <= this.view.width ? this.view.x : box.x + box.width / 2 - this.view.width / 2,
      y: box.y + box.height / 2 - this.view.height / 2,
    });
  }

  /**
   * Marks the state the case is in and every transition it took. `steps` are history entries up to the step
   * shown ({type, from, to} with state paths); an arrow counts when it names the event and leads from the
   * step's state (or a state around it) to its next one (or one around it).
   */
  highlight(currentPaths, steps) {
    const active = new Set(currentPaths);
    const visited = new Set(steps.flatMap((s) => [...s.fromPaths, ...s.toPaths]));
    for (const node of this.root.querySelectorAll('[data-state]')) {
      node.classList.toggle('current', active.has(node.dataset.state));
      node.classList.toggle('visited', !active.has(node.dataset.state) && visited.has(node.dataset.state));
    }
    for (const edge of this.root.querySelectorAll('.edge')) {
      const taken = steps.some(
        (s) =>
          s.fromPaths.includes(edge.dataset.from) &&
          s.toPaths.includes(edge.dataset.to) &&
          edge.dataset.events.split(' ').includes(s.type),
      );
      edge.classList.toggle('taken', taken);
      edge.querySelector('path')?.setAttribute('marker-end', taken ? 'url(#arrow-path)' : 'url(#arrow)');
    }
    this.current = currentPaths[currentPaths.length - 1] ?? null;
  }
}

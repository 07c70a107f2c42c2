// Lays out state diagrams off the page's main thread. ELK (elkjs, served from this server's own copy of the npm
// package) is compiled Java: a first layout takes about a second of CPU, which must not freeze the page.
/* global ELK */
let elk = null;

async function layOut(event) {
  const { id, graph, engine } = event.data;
  try {
    // The engine's URL comes from the diagram (it names the elkjs version, so the browser may cache it).
    if (!elk) {
      importScripts(engine);
      elk = new ELK();
      // Constructing it loads elkjs's inner worker module, which, finding itself in a worker, installs its own
      // self.onmessage: take the page's messages back, or every layout after the first would wait forever.
      self.onmessage = layOut;
    }
    self.postMessage({ id, laid: await elk.layout(graph) });
  } catch (error) {
    self.postMessage({ id, error: String(error?.message ?? error) });
  }
}

self.onmessage = layOut;

// Lays out state diagrams off the page's main thread. ELK (elkjs, served from this server's own copy of the npm
// package) is compiled Java: a first layout takes about a second of CPU, which must not freeze the page.
/* global ELK */
let elk = null;

self.onmessage = async (event) => {
  const { id, graph, engine } = event.data;
  try {
    // The engine's URL comes from the diagram (it names the elkjs version, so the browser may cache it).
    if (!elk) {
      importScripts(engine);
      elk = new ELK();
    }
    self.postMessage({ id, laid: await elk.layout(graph) });
  } catch (error) {
    self.postMessage({ id, error: String(error?.message ?? error) });
  }
};

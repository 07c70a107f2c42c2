// /docs: a small self-contained page that renders /openapi.json (the network is closed, so no CDN and no
// swagger-ui). Like the support console it is static and holds no data: it asks for a token (kept in
// sessionStorage) and fetches the document with it. Everything is inserted with textContent, never innerHTML.
export const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Escrow API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d232a;background:#f6f7f9}
header{background:#1d232a;color:#fff;padding:12px 20px;display:flex;gap:12px;align-items:center}
header h1{font-size:17px;margin:0;flex:1}
input{font:inherit;padding:4px 6px;width:22em}
main{max-width:1000px;margin:0 auto;padding:16px}
section{background:#fff;border:1px solid #dde1e6;border-radius:6px;margin:10px 0}
summary{cursor:pointer;padding:8px 12px;display:flex;gap:10px;align-items:baseline}
.m{font:600 12px monospace;text-transform:uppercase;min-width:4em}
.get{color:#0b6bcb}.post{color:#1a7f37}.delete{color:#c62828}
code,pre{font:12px/1.4 ui-monospace,monospace}
pre{background:#f3f4f6;padding:8px;overflow:auto;margin:4px 0 10px}
.body{padding:0 12px 10px}
#status{color:#c62828}
</style></head>
<body><header><h1>Escrow API reference</h1>
<input id="token" type="password" placeholder="bearer token (read scope)" autocomplete="off">
<button id="load">Load</button></header>
<main><p id="status"></p><div id="info"></div><div id="ops"></div></main>
<script>
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
const pretty = (v) => JSON.stringify(v, null, 2);
function resolve(doc, schema) {
  if (schema && schema.$ref) return doc.components.schemas[schema.$ref.split('/').pop()];
  return schema;
}
function render(doc) {
  const info = document.getElementById('info'); info.replaceChildren(el('p', doc.info.description));
  const ops = document.getElementById('ops'); ops.replaceChildren();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const s = el('section'); const d = el('details'); const sum = el('summary');
      sum.append(el('span', method, 'm ' + method), el('code', path), el('span', op.summary || ''));
      const b = el('div', undefined, 'body');
      if (op.description) b.append(el('p', op.description));
      if (op.parameters && op.parameters.length) {
        b.append(el('h4', 'Parameters'));
        b.append(el('pre', op.parameters.map((p) => p.in + ' ' + p.name + (p.required ? ' (required)' : '') + ': ' + JSON.stringify(p.schema)).join('\\n')));
      }
      const req = op.requestBody && op.requestBody.content && op.requestBody.content['application/json'];
      if (req) { b.append(el('h4', 'Request body')); b.append(el('pre', pretty(resolve(doc, req.schema)))); }
      for (const [code, r] of Object.entries(op.responses || {})) {
        b.append(el('h4', 'Response ' + code + ': ' + (r.description || '')));
        const c = r.content && (r.content['application/json'] || r.content['text/plain']);
        if (c) b.append(el('pre', pretty(resolve(doc, c.schema))));
      }
      d.append(sum, b); s.append(d); ops.append(s);
    }
  }
  const s = el('section'); const d = el('details'); d.append(el('summary', 'Schemas'));
  d.append(el('pre', pretty(doc.components.schemas))); s.append(d); ops.append(s);
}
async function load() {
  const token = document.getElementById('token').value || sessionStorage.getItem('escrowToken') || '';
  sessionStorage.setItem('escrowToken', token);
  const status = document.getElementById('status'); status.textContent = 'Loading…';
  const res = await fetch('/openapi.json', { headers: token ? { authorization: 'Bearer ' + token } : {} });
  if (!res.ok) { const e = await res.json().catch(() => ({})); status.textContent = (e.error && e.error.message) || ('HTTP ' + res.status); return; }
  status.textContent = ''; render(await res.json());
}
document.getElementById('load').addEventListener('click', () => { load(); });
if (sessionStorage.getItem('escrowToken')) load();
</script></body></html>
`;

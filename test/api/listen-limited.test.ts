import { IncomingMessage, ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { listenLimited } from '../../src/api/listen-limited.js';
import { loadConfig } from '../../src/config.js';

// The API's server hands Express requests and responses born with the app's prototypes
// (src/api/born-with-express-prototypes.ts), so Express's prototype swap leaves their hidden class alone; they must
// still be Node's objects, with Express's methods, over keep-alive connections.
describe('listenLimited', () => {
  let server: Server | null = null;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    server = null;
  });

  it('gives Express requests and responses that already carry its prototypes', async () => {
    const app = express();
    app.post('/echo/:id', express.json(), (req, res) => {
      res.status(201).json({ id: req.params.id, body: req.body as unknown, header: req.get('x-probe'), q: req.query });
    });
    server = await listenLimited(app, loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1' }));
    const born: boolean[] = [];
    // Before Express's own listener: what Node created, before Express swapped anything.
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      born.push(
        Object.getPrototypeOf(req) === app.request &&
          Object.getPrototypeOf(res) === app.response &&
          req instanceof IncomingMessage &&
          res instanceof ServerResponse,
      );
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const n of [1, 2]) {
      const res = await fetch(`${base}/echo/m${n}?a=${n}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-probe': `p${n}` },
        body: JSON.stringify({ n }),
      });
      expect(res.status).toBe(201);
      expect(await res.json()).toEqual({ id: `m${n}`, body: { n }, header: `p${n}`, q: { a: String(n) } });
    }
    expect(born).toEqual([true, true]);
  });
});

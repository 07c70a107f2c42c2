import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import express from 'express';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { requestLog } from '../../src/metrics/request-log.js';
import type { Json } from '../support/json.js';

// One JSON line per request with its id (src/metrics/request-log.ts), built only when its level is enabled.
describe('request log', () => {
  let server: Server | null = null;
  afterEach(async () => {
    await new Promise((r) => server?.close(r));
    server = null;
  });

  async function serve(level: string) {
    const lines: Record<string, Json>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const app = express();
    app.use(requestLog(pino({ level }, sink), 64));
    app.get('/healthz', (_req, res) => res.json({ ok: true }));
    app.get('/ok', (req, res) => res.json({ id: req.id }));
    app.get('/as-client', (req, res) => {
      req.client = { id: 'cli_audit', name: 'audited', scopes: ['read'], expiresAt: null };
      res.json({});
    });
    app.get('/missing', (_req, res) => res.status(404).json({ error: 'no' }));
    app.get('/broken', (_req, res) => res.status(500).json({ error: 'x' }));
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { base, lines };
  }

  it('logs each request once with its id, method, url, status and time, at a level by status', async () => {
    const { base, lines } = await serve('info');
    const ok = await fetch(`${base}/ok?x=1`, { headers: { 'x-request-id': 'trace-1' } });
    expect(ok.headers.get('x-request-id')).toBe('trace-1');
    expect(await ok.json()).toEqual({ id: 'trace-1' });
    await fetch(`${base}/missing`);
    await fetch(`${base}/broken`);
    await expect.poll(() => lines.length).toBe(3);
    const [first, second, third] = lines;
    expect(first).toMatchObject({
      level: 30,
      msg: 'request completed',
      req: { id: 'trace-1', method: 'GET', url: '/ok?x=1' },
      res: { statusCode: 200 },
    });
    expect(typeof first!.responseTime).toBe('number');
    expect(second).toMatchObject({ level: 40, msg: 'request completed', res: { statusCode: 404 } });
    expect(third).toMatchObject({ level: 50, msg: 'request errored', res: { statusCode: 500 } });
    // A new id for a request that brings none, sent back and logged.
    expect(second!.req.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('names the API client the request authenticated as, and null before authentication', async () => {
    const { base, lines } = await serve('info');
    await fetch(`${base}/as-client`);
    await fetch(`${base}/ok`);
    await expect.poll(() => lines.length).toBe(2);
    expect(lines[0]!.req.client).toBe('cli_audit');
    expect(lines[1]!.req.client).toBeNull();
  });

  it('never logs probes, never logs headers, and builds nothing below its level', async () => {
    const { base, lines } = await serve('warn');
    await fetch(`${base}/healthz`);
    await fetch(`${base}/ok`, { headers: { authorization: 'Bearer secret-token' } });
    await fetch(`${base}/missing`, { headers: { authorization: 'Bearer secret-token' } });
    await fetch(`${base}/missing`);
    // The two 404s, in order; nothing from the probe or the 200 before them.
    await expect.poll(() => lines.length).toBe(2);
    expect(lines.map((l) => [l.req.url, l.res.statusCode])).toEqual([
      ['/missing', 404],
      ['/missing', 404],
    ]);
    expect(JSON.stringify(lines)).not.toContain('secret-token');
  });
});

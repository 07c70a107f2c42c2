// The probe floor's stand-in for the service (probe-floor.ts): a bare node:http server that reads each event, parses
// it, keeps its one thread busy for a fixed time (the CPU the service spends on an event, 0 by default), and answers
// 200 with a milestone view of the service's size after a fixed delay. It does no other work, so what the probe's
// client measures against it is the client's own part of the latency, plus the stand-in's.
//
//   node --import tsx bench/probe-floor-server.ts <delay ms> <busy ms>   (a child: sends its port to the parent)
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { milestoneExample } from '../src/api/openapi-examples.js';

const delayMs = Number(process.argv[2] ?? 0);
const busyMs = Number(process.argv[3] ?? 0);

/** Keeps this process's one thread busy for `ms`, as the service's own work on an event would. */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}
const reply = Buffer.from(JSON.stringify(milestoneExample));

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString('utf8'));
    spin(busyMs);
    const answer = () => {
      // The headers the service sends with an event's answer.
      res.writeHead(200, {
        'x-request-id': randomUUID(),
        'content-type': 'application/json; charset=utf-8',
        'content-length': reply.length,
      });
      res.end(reply);
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
});
server.listen(0, '127.0.0.1', () => process.send!((server.address() as AddressInfo).port));
process.on('disconnect', () => server.close(() => process.exit(0)));

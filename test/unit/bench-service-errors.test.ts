import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { forwardSevereLines } from '../../bench/service-errors.js';

// bench/service-errors.ts: a benchmark shows the service's error and fatal log lines, whole, and nothing else.

const info = (n: number) => JSON.stringify({ level: 30, time: n, msg: 'request completed' });
const error = JSON.stringify({ level: 50, time: 2, err: { message: 'duplicate key' }, msg: 'request errored' });
const fatal = JSON.stringify({ level: 60, time: 3, msg: 'cannot start' });

async function forwarded(chunks: string[]): Promise<string[]> {
  const stream = new PassThrough();
  const written: string[] = [];
  forwardSevereLines(stream, 'api', (line) => written.push(line));
  for (const chunk of chunks) stream.write(Buffer.from(chunk));
  stream.end();
  await new Promise((resolve) => stream.on('end', resolve));
  return written;
}

describe('the service errors a benchmark shows', () => {
  it('writes error and fatal lines with the role, and no other line', async () => {
    const log = [info(1), error, info(4), fatal, JSON.stringify({ level: 40, msg: 'slow' })].join('\n') + '\n';
    expect(await forwarded([log])).toEqual([`[api] ${error}\n`, `[api] ${fatal}\n`]);
  });

  it('puts together a line that arrives in pieces, whatever the boundaries', async () => {
    const log = `${info(1)}\n${error}\n${info(5)}\n`;
    for (let cut = 1; cut < log.length; cut += 7) {
      const pieces = [log.slice(0, cut), log.slice(cut, cut + 5), log.slice(cut + 5)];
      expect(await forwarded(pieces), `cut at ${cut}`).toEqual([`[api] ${error}\n`]);
    }
  });

  it('leaves out the requests their client aborted, which wrk does at the end of every phase', async () => {
    const aborted = JSON.stringify({ level: 50, res: { statusCode: 200 }, msg: 'request aborted' });
    expect(await forwarded([`${aborted}\n${error}\n`])).toEqual([`[api] ${error}\n`]);
  });

  it('takes a level of 5 or 500 for what it is, not for an error', async () => {
    const look = [JSON.stringify({ level: 30, msg: '"level":50 in a message' }), JSON.stringify({ level: 500 })];
    expect(await forwarded([look.join('\n') + '\n'])).toEqual([]);
  });
});

// The service's own account of a failure, shown while a benchmark runs. The harness reads each service process's
// log (JSON lines on stdout) only to keep the pipe from filling; a request answered 500 would otherwise be seen only
// as the status the load generator counted. Lines at level error or fatal (pino's 50, 60) go to stderr, prefixed
// with the role, as they arrive, except those of requests the client aborted. A chunk is searched as bytes and only
// one holding such a line is decoded, so a run at LOG_LEVEL=info (a line per request) costs the harness, which
// shares the machine, next to nothing.
import type { Readable } from 'node:stream';

// How pino starts an error or a fatal line: the level, then the time (a level of 500 would not match).
const SEVERE = ['"level":50,', '"level":60,'];
const NEWLINE = 0x0a;

// The request log puts a request the client gave up on at level error (src/metrics/request-log.ts); wrk ends every
// phase that way, with its connections' requests in flight, so those lines tell nothing about the service.
const CLIENT_ABORT = '"msg":"request aborted"';

/** The complete lines of `text` at level error or above, but for requests their client gave up on. */
function severeLines(text: string): string[] {
  return text.split('\n').filter((line) => SEVERE.some((m) => line.includes(m)) && !line.includes(CLIENT_ABORT));
}

/** Reads `stream` to its end, writing its error and fatal lines to `write` as `[role] line`. */
export function forwardSevereLines(stream: Readable, role: string, write: (line: string) => void): void {
  // The part of a line that the last chunk ended in, kept only while a chunk does not end at a line's end.
  let partial: Buffer = Buffer.alloc(0);
  stream.on('data', (chunk: Buffer) => {
    const end = chunk.lastIndexOf(NEWLINE);
    if (end < 0) {
      partial = Buffer.concat([partial, chunk]);
      return;
    }
    const complete = chunk.subarray(0, end + 1);
    const lines = partial.length > 0 ? Buffer.concat([partial, complete]) : complete;
    partial = Buffer.from(chunk.subarray(end + 1));
    if (!SEVERE.some((s) => lines.includes(s))) return;
    for (const line of severeLines(lines.toString())) write(`[${role}] ${line}\n`);
  });
}

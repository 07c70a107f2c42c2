import { parentPort } from 'node:worker_threads';
import { pinnedMachine } from '../../machines/registry.js';
import { generatePaths } from './generate.js';
import { vitestFile } from './vitest-file.js';
import type { PathsReply, PathsRequest } from './paths-thread.js';

// The worker thread of src/paths/paths-thread.ts: generates paths and serialises them here, off the API's event
// loop. generatePaths keeps each (machine, version, strategy) it computed, so a repeat costs only the JSON.
const port = parentPort;
if (!port) throw new Error('paths-worker.ts runs only as a worker thread');

port.on('message', (request: PathsRequest) => {
  let reply: PathsReply;
  try {
    const def = pinnedMachine(request.name, request.version);
    const generated = generatePaths(def, request.strategy, request.limit);
    const text = request.format === 'vitest' ? vitestFile(def, generated) : JSON.stringify(generated);
    reply = { id: request.id, text };
  } catch (error) {
    reply = { id: request.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  port.postMessage(reply);
});

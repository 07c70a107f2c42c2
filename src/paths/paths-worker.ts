import { parentPort } from 'node:worker_threads';
import { pinnedMachine } from '../../machines/registry.js';
import { generatePaths } from './generate.js';
import type { PathsReply, PathsRequest } from './paths-thread.js';

// The worker thread of src/paths/paths-thread.ts: generates paths and serialises them here, off the API's event
// loop. generatePaths keeps each (machine, version, strategy) it computed, so a repeat costs only the JSON.
const port = parentPort;
if (!port) throw new Error('paths-worker.ts runs only as a worker thread');

port.on('message', (request: PathsRequest) => {
  let reply: PathsReply;
  try {
    const generated = generatePaths(pinnedMachine(request.name, request.version), request.strategy, request.limit);
    reply = { id: request.id, json: JSON.stringify(generated) };
  } catch (error) {
    reply = { id: request.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  port.postMessage(reply);
});

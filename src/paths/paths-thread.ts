import { Worker } from 'node:worker_threads';
import { UnavailableError } from '../errors/index.js';
import type { Strategy } from './generate.js';

export interface PathsRequest {
  id: number;
  name: string;
  version: number;
  strategy: Strategy;
  limit: number;
  /** json: the paths response body; vitest: the generated test file (vitest-file.ts). */
  format: PathsFormat;
}

export type PathsFormat = 'json' | 'vitest';

export type PathsReply = { id: number; text: string } | { id: number; error: string };

interface Pending {
  resolve(json: string): void;
  reject(error: Error): void;
}

/**
 * Path generation on a worker thread, so no request blocks the API's event loop: simple paths of milestone@2
 * take seconds of CPU and 7 MB of JSON, during which /healthz and every other request would otherwise wait
 * (issue 15). One thread, started on the first request and kept (it remembers what it generated); requests
 * queue on it in order. A thread that dies fails the requests it held and is replaced on the next one.
 *
 * Worker threads do not inherit the main thread's TypeScript loader (tsx), so the thread starts from a small
 * ES module that registers tsx and then loads paths-worker.ts.
 */
export class PathsThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  /** The paths response body (`GET /v1/machines/:name/paths`): JSON text, or the vitest file's text. */
  generate(name: string, version: number, strategy: Strategy, limit: number, format: PathsFormat): Promise<string> {
    const id = this.nextId++;
    const worker = this.worker ?? this.start();
    return new Promise<string>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, name, version, strategy, limit, format } satisfies PathsRequest);
    });
  }

  /** Stops the thread; requests it still held are answered 503 (the API is shutting down). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.failAll(new UnavailableError('The service is shutting down; ask again.', { dependency: 'paths' }));
    if (worker) await worker.terminate();
  }

  private start(): Worker {
    const entry = new URL('./paths-worker.ts', import.meta.url).href;
    const boot = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};
register();
await import(${JSON.stringify(entry)});`;
    const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`));
    // An idle thread must not keep a process alive (the CLI, a test); close() ends it in a running service.
    worker.unref();
    worker.on('message', (reply: PathsReply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if ('text' in reply) waiting?.resolve(reply.text);
      else waiting?.reject(new Error(`path generation failed: ${reply.error}`));
    });
    worker.on('error', (error) => this.stopped(worker, error));
    worker.on('exit', (code) => this.stopped(worker, new Error(`paths thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private stopped(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    this.failAll(error);
  }

  private failAll(error: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}

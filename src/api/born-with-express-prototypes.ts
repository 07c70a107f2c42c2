import { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';

/**
 * Request and response classes for `http.createServer` whose objects are born with the Express app's prototypes.
 *
 * Why: Express gives every request and response its own prototypes with `Object.setPrototypeOf` as it takes them
 * in. Changing an object's prototype changes its hidden class, so Node's HTTP code and Express's saw two shapes of
 * every request and response, and their property accesses fell back to slow generic lookups (`perf` on the event
 * hot path: 18 % of the API's CPU in inline-cache misses and property lookups; bench/README.md). V8 leaves an
 * object alone when it is given the prototype it already has, so objects born with these prototypes keep one shape.
 */
export function bornWithExpressPrototypes(app: Express): {
  IncomingMessage: typeof IncomingMessage;
  ServerResponse: typeof ServerResponse;
} {
  // Node's own constructors are plain functions: called on an object of ours, they set up its fields. Its few
  // slots overflow with them, so these objects live in dictionary mode, all of one hidden class. Built by
  // Reflect.construct with these prototypes as new.target they keep fast properties, but two requests in flight
  // together then had different hidden classes, and the API spent 30–50 % more CPU per event. Subclasses of Node's
  // classes whose prototypes replace the app's give one hidden class with fast properties: no faster than this, in
  // six interleaved rounds (bench/README.md, round 5).
  function AppRequest(this: IncomingMessage, socket: Socket): void {
    Reflect.apply(IncomingMessage, this, [socket]);
  }
  AppRequest.prototype = app.request;
  function AppResponse(this: ServerResponse, req: IncomingMessage, options?: object): void {
    Reflect.apply(ServerResponse, this, [req, options]);
  }
  AppResponse.prototype = app.response;
  return {
    IncomingMessage: AppRequest as unknown as typeof IncomingMessage,
    ServerResponse: AppResponse as unknown as typeof ServerResponse,
  };
}

import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { InvalidRequestError, UnsupportedMediaTypeError } from '../errors/index.js';

// docs/api.md "Conventions (v1.1)": a request body is JSON in UTF-8, said so by its Content-Type, or it is refused with
// 415 before it is read; bytes that are not UTF-8 are a 400, never silently replaced by U+FFFD.

// `name=token` or `name="quoted string"` (RFC 9110 §5.6.6), the only shapes a media type parameter may take.
const PARAMETER = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)=("(?:[^"\\]|\\.)*"|[!#$%&'*+.^_`|~0-9A-Za-z-]+)$/;

/**
 * Whether the request carries a body: a chunked one, or a Content-Length above zero. A POST without a body (or
 * with `Content-Length: 0`, as `curl -d ''` sends it) has nothing to misread, whatever its Content-Type says.
 */
export function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && !/^0+$/.test(length);
}

/** Why `header` is not JSON in UTF-8, or null when it is (`application/json`, optionally `; charset=utf-8`). */
export function mediaTypeProblem(header: string | undefined): string | null {
  if (header === undefined || header.trim() === '') return 'A request body needs Content-Type: application/json.';
  const [type = '', ...parameters] = header.split(';').map((part) => part.trim());
  if (type.toLowerCase() !== 'application/json') {
    return `A request body must be sent as application/json, not ${JSON.stringify(type.slice(0, 100))}.`;
  }
  // An empty parameter (`application/json;`) is a stray separator some clients send: nothing to misread.
  for (const parameter of parameters.filter((part) => part !== '')) {
    const match = PARAMETER.exec(parameter);
    if (!match) return `The Content-Type parameter ${JSON.stringify(parameter.slice(0, 100))} is malformed.`;
    if (match[1]!.toLowerCase() !== 'charset') continue;
    const charset = match[2]!.replace(/^"|"$/g, '').toLowerCase();
    // The JSON parser would also decode UTF-16 and UTF-32; docs/api.md accepts UTF-8 alone.
    if (charset !== 'utf-8') {
      return `A request body must be UTF-8; charset ${JSON.stringify(charset.slice(0, 100))} is not accepted.`;
    }
  }
  return null;
}

/** 415 unsupported_media_type for a body that is not declared as JSON in UTF-8; runs before anything reads it. */
export function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  if (!hasBody(req)) return next();
  const problem = mediaTypeProblem(req.get('content-type'));
  if (problem) {
    throw new UnsupportedMediaTypeError(problem, { contentType: (req.get('content-type') ?? '').slice(0, 200) });
  }
  next();
}

/**
 * The JSON parser of /v1: at most `limitBytes`, objects and arrays only, and the raw bytes (after any
 * Content-Encoding) checked to be UTF-8 before they are decoded, since the decoder would replace bad bytes.
 */
export function jsonBodyParser(limitBytes: number): RequestHandler {
  return express.json({
    limit: limitBytes,
    strict: true,
    // requireJsonBody has already refused every other media type; an empty body still parses (as {}).
    type: () => true,
    verify: (_req, _res, bytes) => {
      if (!isUtf8(bytes)) throw new InvalidRequestError('The request body is not valid UTF-8.');
    },
  });
}

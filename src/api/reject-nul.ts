import type { NextFunction, Request, Response } from 'express';
import { InvalidRequestError } from '../errors/index.js';

// Postgres text and jsonb cannot hold U+0000; refuse it at the edge with a 400 rather than fail in the database.
function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 64 || value === null || typeof value !== 'object') return false;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000') || containsNul(item, depth + 1)) return true;
  }
  return false;
}

export function rejectNulCharacters(req: Request, _res: Response, next: NextFunction): void {
  if (containsNul(req.body) || containsNul(req.query) || containsNul(req.params)) {
    throw new InvalidRequestError('Text must not contain the NUL character (U+0000).');
  }
  next();
}

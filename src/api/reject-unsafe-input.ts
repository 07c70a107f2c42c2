import type { NextFunction, Request, Response } from 'express';
import { InvalidRequestError } from '../errors/index.js';

// Keys that reach an object's prototype when copied by assignment (a parsed `"__proto__"` key would otherwise
// vanish into the prototype during validation and let a field slip past a strict schema).
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_DEPTH = 64;

/** What is wrong with the value, or null. Postgres text and jsonb cannot hold U+0000 or lone surrogates. */
function problemIn(value: unknown, depth = 0): string | null {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return 'Text must not contain the NUL character (U+0000).';
    // A lone surrogate is not Unicode text; Postgres refuses it in jsonb, so refuse it here with a 400.
    return value.isWellFormed() ? null : 'Text must be well-formed Unicode (no lone surrogates).';
  }
  if (value === null || typeof value !== 'object') return null;
  if (depth > MAX_DEPTH) return `JSON nested deeper than ${MAX_DEPTH} levels is not accepted.`;
  for (const key of Object.keys(value)) {
    if (PROTOTYPE_KEYS.has(key)) return `The key "${key}" is not accepted.`;
    const problem = problemIn(key, depth + 1) ?? problemIn((value as Record<string, unknown>)[key], depth + 1);
    if (problem) return problem;
  }
  return null;
}

export function rejectUnsafeInput(req: Request, _res: Response, next: NextFunction): void {
  const problem = problemIn(req.body) ?? problemIn(req.query);
  if (problem) throw new InvalidRequestError(problem);
  next();
}

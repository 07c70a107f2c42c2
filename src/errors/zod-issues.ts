import type { z } from 'zod';

/** A compact, stable list of what was wrong with the input, for the error body's details. */
export function zodIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

import { randomUUID } from 'node:crypto';

/** Server-chosen ids: a readable prefix for the kind, a UUID for uniqueness. */
export function newId(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '')}`;
}

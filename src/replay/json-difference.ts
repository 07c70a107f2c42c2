/**
 * First place where two JSON-shaped values differ, as a dotted path ('' = the values themselves), or null
 * when equal. Keys holding `undefined` count as absent, because that is how they come back from a jsonb
 * column: a replayed context must equal the stored one as JSON, not as JavaScript objects.
 */
export function jsonDifference(a: unknown, b: unknown, path = ''): string | null {
  if (a === b) return null;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return path;
  if (Array.isArray(a) !== Array.isArray(b)) return path;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return path;
    for (let i = 0; i < a.length; i++) {
      const d = jsonDifference(a[i], b[i], join(path, String(i)));
      if (d !== null) return d;
    }
    return null;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  for (const key of Object.keys(ao)) {
    if (ao[key] === undefined) continue;
    const d = jsonDifference(ao[key], bo[key], join(path, key));
    if (d !== null) return d;
  }
  for (const key of Object.keys(bo)) {
    if (bo[key] !== undefined && ao[key] === undefined) return join(path, key);
  }
  return null;
}

export function jsonEqual(a: unknown, b: unknown): boolean {
  return jsonDifference(a, b) === null;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

import { describe, expect, it } from 'vitest';
import { jsonDifference, jsonEqual } from '../../src/replay/json-difference.js';

describe('jsonDifference', () => {
  it('treats equal JSON as equal whatever the key order', () => {
    expect(jsonDifference({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBeNull();
  });
  it('counts keys holding undefined as absent, as jsonb stores them', () => {
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(true);
  });
  it('names the first differing path', () => {
    expect(jsonDifference({ context: { amount: '1', list: [1, 2] } }, { context: { amount: '1', list: [1, 3] } })).toBe(
      'context.list.1',
    );
    expect(jsonDifference({ a: 1 }, { a: 1, extra: null })).toBe('extra');
    expect(jsonDifference('x', 'y')).toBe('');
  });
  it('does not equate null with a missing key, or an array with an object', () => {
    expect(jsonEqual({ a: null }, {})).toBe(false);
    expect(jsonEqual([], {})).toBe(false);
    expect(jsonEqual('1', 1)).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import {
  idListStatement,
  idParameters,
  idsMatch,
  LIST_LENGTHS,
  listLengthFor,
} from '../../src/db/id-list-statement.js';

describe('id lists written out as parameters', () => {
  it('go at the shortest prepared length that holds them, and as one array past the longest', () => {
    expect([1, 2, 3, 4, 5, 9, 33, 64].map(listLengthFor)).toEqual([1, 2, 4, 4, 8, 16, 64, 64]);
    expect(listLengthFor(65)).toBe(0);
    expect(listLengthFor(0)).toBe(0);
    expect(LIST_LENGTHS.at(-1)).toBe(64);
  });

  it('are padded with their last id, which matches the same row again', () => {
    expect(idParameters(['a', 'b', 'c'], 4)).toEqual(['a', 'b', 'c', 'c']);
    expect(idParameters(['a'], 1)).toEqual(['a']);
    expect(idParameters(['a', 'b'], 0)).toEqual([['a', 'b']]);
    expect(() => idParameters(['a', 'b', 'c'], 2)).toThrow(/3 ids passed as a list of 2/);
    expect(() => idParameters([], 1)).toThrow();
  });

  it('are matched with one placeholder per id', () => {
    expect(idsMatch(4)).toBe('IN (?, ?, ?, ?)');
    expect(idsMatch(0)).toBe('= ANY(?::text[])');
  });
});

describe('a statement over an id list', () => {
  it('must take its ids last, and match them once', () => {
    expect(() => idListStatement('ids_first', (ids) => `SELECT id FROM instances WHERE id ${ids} AND seq > ?`)).toThrow(
      /ids_first: its ids must be its last parameters/,
    );
    expect(() => idListStatement('ids_twice', (ids) => `SELECT 1 WHERE 'a' ${ids} OR 'b' ${ids}`)).toThrow(/ids_twice/);
    expect(() =>
      idListStatement('ids_last', (ids) => `SELECT id FROM instances WHERE seq > ? AND id ${ids}`),
    ).not.toThrow();
  });
});

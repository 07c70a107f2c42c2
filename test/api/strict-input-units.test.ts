import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/api/canonical-json.js';
import { hasBody, mediaTypeProblem } from '../../src/api/json-body.js';

describe('canonicalJson', () => {
  it('is one text for every spelling of a value: keys sorted at every depth, arrays kept in order', () => {
    const a = JSON.parse('{"b": 1, "a": {"y": [3, {"q": 1, "p": 2}], "x": null}}') as unknown;
    const b = JSON.parse('{"a":{"x":null,"y":[3,{"p":2,"q":1}]},"b":1.0}') as unknown;
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":{"x":null,"y":[3,{"p":2,"q":1}]},"b":1}');
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
    expect(canonicalJson({ é: '\u2028', a: 'x"y' })).toBe('{"a":"x\\"y","é":"\u2028"}');
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson('s')).toBe('"s"');
  });
});

describe('mediaTypeProblem', () => {
  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON;CHARSET="UTF-8"',
    'application/json; v=1',
    'application/json;',
  ])('accepts %s', (type) => expect(mediaTypeProblem(type)).toBeNull());
  it.each([
    undefined,
    '',
    'text/plain',
    'application/json-patch+json',
    'application/jsonx',
    'application/json; charset=utf-16',
    'application/json; charset=utf8',
    'application/json; charset=latin1',
    'application/json; charset',
    'application/json; =x',
  ])('refuses %s', (type) => expect(mediaTypeProblem(type)).toMatch(/\w/));
});

describe('hasBody', () => {
  const req = (headers: Record<string, string>) => ({ headers }) as never;
  it('is a chunked body or a Content-Length above zero', () => {
    expect(hasBody(req({}))).toBe(false);
    expect(hasBody(req({ 'content-length': '0' }))).toBe(false);
    expect(hasBody(req({ 'content-length': '00' }))).toBe(false);
    expect(hasBody(req({ 'content-length': '1' }))).toBe(true);
    expect(hasBody(req({ 'transfer-encoding': 'chunked' }))).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { parseSides } from '../../bench/ab-sides.js';

// `npm run bench:ab` reads its sides from the environment: a typo must stop the run before minutes of measuring,
// not measure something else than asked.
describe('the sides of an A/B benchmark (bench/ab-sides.ts)', () => {
  const sides = (env: NodeJS.ProcessEnv) =>
    parseSides(env).map((s) => [s.label, s.code.ref ?? null, s.apiProcesses, s.workerProcesses]);

  it('defaults to this checkout with one API and one workers process', () => {
    expect(sides({})).toEqual([['head 1x1', null, 1, 1]]);
  });

  it('runs every code variant in every process shape, refs checked out and bare labels as this checkout', () => {
    expect(sides({ BENCH_AB: 'base=HEAD~1, head', BENCH_AB_PROCESSES: '1x1,2x1' })).toEqual([
      ['base 1x1', 'HEAD~1', 1, 1],
      ['base 2x1', 'HEAD~1', 2, 1],
      ['head 1x1', null, 1, 1],
      ['head 2x1', null, 2, 1],
    ]);
    expect(sides({ BENCH_AB_PROCESSES: '1x2' })).toEqual([['head 1x2', null, 1, 2]]);
  });

  it.each([
    [{ BENCH_AB: 'base=' }, /neither label=<git ref> nor a bare label/],
    [{ BENCH_AB: 'a=b=c' }, /neither/],
    [{ BENCH_AB: 'two words' }, /neither/],
    [{ BENCH_AB: 'head,head' }, /repeated label/],
    [{ BENCH_AB_PROCESSES: '2' }, /is not <API processes>x<workers processes>/],
    [{ BENCH_AB_PROCESSES: '0x1' }, /is not/],
    [{ BENCH_AB_PROCESSES: '1x1,1x1' }, /repeated shape/],
  ])('refuses %o', (env, message) => {
    expect(() => parseSides(env)).toThrow(message);
  });
});

import type { ReplayResult, ReplaySource } from './replay-instance.js';

/**
 * docs/api.md's replay body: `{steps, final: {state, context}, matchesStored, firstDivergence}`, plus the instance,
 * machine and seq it is about. `steps` and `final` stop at `to`; the verdict always covers the whole history,
 * so a support agent scrubbing back in time keeps seeing whether the instance as a whole is sound.
 */
export function replayView(source: ReplaySource, result: ReplayResult, to: number | null) {
  return {
    id: source.id,
    machine: { name: source.machine, version: source.version },
    seq: source.seq,
    to: to === null ? source.seq : Math.min(to, source.seq),
    steps: result.steps,
    final: {
      seq: result.final.seq,
      state: result.final.state,
      context: result.final.context,
      machineVersion: result.final.machineVersion,
    },
    matchesStored: result.matchesStored,
    firstDivergence: result.firstDivergence,
  };
}

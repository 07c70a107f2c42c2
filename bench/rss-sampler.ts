// RSS of the service processes sampled once a second over a phase. A Node process's RSS saws up and down with
// garbage collection by tens of MB, so two single readings (before, after) can show growth that is only the
// phase of the saw: compare the mean of the first fifth of the samples with the mean of the last fifth.
import { rssMb } from './harness.js';

export interface RssTrend {
  firstFifthMb: number;
  lastFifthMb: number;
  changePercent: number;
  minMb: number;
  maxMb: number;
  samples: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function trend(samples: number[]): RssTrend {
  const fifth = Math.max(1, Math.floor(samples.length / 5));
  const first = mean(samples.slice(0, fifth));
  const last = mean(samples.slice(-fifth));
  return {
    firstFifthMb: Math.round(first),
    lastFifthMb: Math.round(last),
    changePercent: Math.round(((last - first) / first) * 1000) / 10,
    minMb: Math.min(...samples),
    maxMb: Math.max(...samples),
    samples: samples.length,
  };
}

/** Starts sampling each named group of processes (their sum); the returned function stops and gives each trend. */
export function sampleRss(pids: Record<string, readonly number[]>, intervalMs = 1000): () => Record<string, RssTrend> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(pids).map((k) => [k, []]));
  const take = () => {
    for (const [name, group] of Object.entries(pids))
      samples[name]!.push(group.reduce((sum, pid) => sum + rssMb(pid), 0));
  };
  take();
  const timer = setInterval(take, intervalMs);
  return () => {
    clearInterval(timer);
    take();
    return Object.fromEntries(Object.entries(samples).map(([name, xs]) => [name, trend(xs)]));
  };
}

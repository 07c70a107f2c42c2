import cliProgress from 'cli-progress';
import type { VerifyProgress } from './verify-instances.js';

export interface ProgressReporter {
  update(progress: VerifyProgress): void;
  stop(progress: VerifyProgress): void;
}

const rateOf = (count: number, ms: number): number => (ms > 0 ? Math.round((count * 1000) / ms) : 0);

function etaText(done: number, total: number, elapsedMs: number): string {
  if (done === 0 || done >= total) return '0s';
  const seconds = Math.round(((total - done) * elapsedMs) / done / 1000);
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}

/** A progress bar with rate and ETA for a person at a terminal (on stderr, so stdout stays the report). */
export function barReporter(total: number, stream: NodeJS.WriteStream): ProgressReporter {
  const started = performance.now();
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format:
        'verify {bar} {percentage}% | {value}/{total} instances | {rate} inst/s | {events} events | {mismatches} mismatches | ETA {etaText}',
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { rate: 0, events: 0, mismatches: 0, etaText: '?' });
  const payload = (p: VerifyProgress) => {
    const ms = performance.now() - started;
    return {
      rate: rateOf(p.instances, ms),
      events: p.events,
      mismatches: p.mismatches,
      etaText: etaText(p.instances, total, ms),
    };
  };
  return {
    // Instances may appear while we run: let the total grow rather than overflow the bar.
    update: (p) => {
      if (p.instances > bar.getTotal()) bar.setTotal(p.instances);
      bar.update(p.instances, payload(p));
    },
    stop: (p) => {
      bar.update(p.instances, payload(p));
      bar.stop();
    },
  };
}

/** Plain lines at most every `intervalMs`, for logs and CI where a redrawn bar would be noise. */
export function lineReporter(
  total: number,
  write: (line: string) => void,
  intervalMs: number,
  now = () => performance.now(),
): ProgressReporter {
  const started = now();
  let last = started;
  const line = (p: VerifyProgress): string => {
    const ms = now() - started;
    const pct = total > 0 ? Math.min(100, Math.floor((p.instances * 100) / total)) : 100;
    return `verify: ${p.instances}/${total} instances (${pct}%), ${p.events} events, ${rateOf(p.instances, ms)} inst/s, ${p.mismatches} mismatches, ETA ${etaText(p.instances, total, ms)}`;
  };
  return {
    update: (p) => {
      if (now() - last < intervalMs) return;
      last = now();
      write(line(p));
    },
    stop: (p) => write(line(p)),
  };
}

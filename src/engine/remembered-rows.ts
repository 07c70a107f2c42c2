import type { InstanceRow } from './instance-row.js';

/** A row this process wrote, with the updated_at (text, to the microsecond) its write left on it. */
export interface Remembered<R extends InstanceRow> {
  row: R;
  stamp: string;
}

// How long an instance found driven through other processes too is read on every event before it is tried again.
const SHARED_FOR_MS = 60_000;

/** Freezes the object and everything it holds, so that a remembered row can only be replaced, never edited. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * The instance rows this process last wrote on the compare-and-set path, most recently used last, at most `max`
 * (0 remembers nothing). A remembered row saves the read before an instance's next event: the event is judged on
 * it and written only while the instance still carries the remembered seq and write stamp, which the write
 * statement checks. Every change to an instance moves its seq and stamp (events, settlement, timers, version
 * migrations), so a row that still carries them is the stored row; one that has moved costs a lost race and a
 * read, never a wrong write (apply-event-unlocked.ts). Rows are frozen: the same object is the reply to the event
 * that wrote it, and an edit there must not become the next event's judgement.
 *
 * An instance whose remembered row turned out to be behind is driven through other processes as well (several API
 * processes behind a balancer that spreads one client's requests): its rows are not remembered for SHARED_FOR_MS,
 * so that it costs one lost race then, not one per event.
 */
export class RememberedRows<R extends InstanceRow> {
  private readonly rows = new Map<string, Remembered<R>>();
  private readonly sharedUntil = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** The remembered row of this machine's instance, if any. */
  get(id: string, machine: string): Remembered<R> | undefined {
    const remembered = this.rows.get(id);
    if (remembered === undefined || remembered.row.machine !== machine) return undefined;
    // Map keeps insertion order: re-inserting marks the row as the most recently used.
    this.rows.delete(id);
    this.rows.set(id, remembered);
    return remembered;
  }

  remember(row: R, stamp: string): void {
    if (this.max === 0 || this.isShared(row.id)) return;
    this.rows.delete(row.id);
    this.rows.set(row.id, { row: deepFreeze(row), stamp });
    if (this.rows.size > this.max) this.rows.delete(this.rows.keys().next().value!);
  }

  /** Whether this process remembered a newer write of the instance than the one that left `stamp`. */
  rewrittenSince(id: string, stamp: string): boolean {
    const remembered = this.rows.get(id);
    return remembered !== undefined && remembered.stamp !== stamp;
  }

  forget(id: string): void {
    this.rows.delete(id);
  }

  /** The remembered row was behind the stored one: forget it, and remember none of this instance for a while. */
  contested(id: string): void {
    this.rows.delete(id);
    this.sharedUntil.delete(id);
    this.sharedUntil.set(id, Date.now() + SHARED_FOR_MS);
    if (this.sharedUntil.size > this.max) this.sharedUntil.delete(this.sharedUntil.keys().next().value!);
  }

  private isShared(id: string): boolean {
    const until = this.sharedUntil.get(id);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.sharedUntil.delete(id);
    return false;
  }
}

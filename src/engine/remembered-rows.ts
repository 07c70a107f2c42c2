import type { InstanceRow } from './instance-row.js';

/**
 * The instance rows this process last wrote on the compare-and-set path, most recently used last, at most `max`
 * (0 remembers nothing). A remembered row saves the read before an instance's next event: the event is judged on
 * it and written only while the instance is still at the remembered seq, which the write statement checks. Every
 * change to an instance moves its seq (events, settlement, timers, version migrations), so a row still at its seq
 * is the stored row; one that has moved costs a lost race and a read, never a wrong write (apply-event-unlocked.ts).
 *
 * An instance whose remembered row turned out to be behind is driven through other processes as well (several API
 * processes behind a balancer that spreads one client's requests): its rows are not remembered again while it is
 * among the last `max` such instances, so that it costs one lost race, not one per event.
 */
export class RememberedRows<R extends InstanceRow> {
  private readonly rows = new Map<string, R>();
  private readonly shared = new Set<string>();

  constructor(private readonly max: number) {}

  /** The remembered row of this machine's instance, if any. */
  get(id: string, machine: string): R | undefined {
    const row = this.rows.get(id);
    if (row === undefined || row.machine !== machine) return undefined;
    // Map keeps insertion order: re-inserting marks the row as the most recently used.
    this.rows.delete(id);
    this.rows.set(id, row);
    return row;
  }

  remember(row: R): void {
    if (this.max === 0 || this.shared.has(row.id)) return;
    this.rows.delete(row.id);
    this.rows.set(row.id, row);
    if (this.rows.size > this.max) this.rows.delete(this.rows.keys().next().value!);
  }

  forget(id: string): void {
    this.rows.delete(id);
  }

  /** The remembered row was behind the stored one: forget it, and remember none of this instance for a while. */
  contested(id: string): void {
    this.rows.delete(id);
    this.shared.delete(id);
    this.shared.add(id);
    if (this.shared.size > this.max) this.shared.delete(this.shared.keys().next().value!);
  }

  get size(): number {
    return this.rows.size;
  }
}

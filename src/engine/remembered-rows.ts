import type { InstanceRow } from './instance-row.js';

/**
 * The instance rows this process last wrote on the compare-and-set path, most recently used last, at most `max`
 * (0 remembers nothing). A remembered row saves the read before an instance's next event: the event is judged on
 * it and written only while the instance is still at the remembered seq, which the write statement checks. Every
 * change to an instance moves its seq (events, settlement, timers, version migrations), so a row still at its seq
 * is the stored row; one that has moved costs a lost race and a read, never a wrong write (apply-event-unlocked.ts).
 */
export class RememberedRows<R extends InstanceRow> {
  private readonly rows = new Map<string, R>();

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
    if (this.max === 0) return;
    this.rows.delete(row.id);
    this.rows.set(row.id, row);
    if (this.rows.size > this.max) this.rows.delete(this.rows.keys().next().value!);
  }

  forget(id: string): void {
    this.rows.delete(id);
  }

  get size(): number {
    return this.rows.size;
  }
}

/** One history entry as the `history` CLI prints it (the API's HistoryEntry, as src/api/views.ts builds it). */
export interface TimelineEntry {
  seq: number;
  at: string;
  actor: string;
  role?: string;
  type: string;
  payload: Record<string, unknown>;
  /** The API client whose request caused it; null for timers and settlement. */
  client?: { id: string; name: string } | null;
  from: unknown;
  to: unknown;
  transfers: { kind?: string; amount: string; from: string; to: string }[];
}

// Wide cells are cut so one long payload cannot push the table off a terminal.
const CELL_MAX_CHARS = 48;

const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
const cut = (s: string): string => (s.length > CELL_MAX_CHARS ? `${s.slice(0, CELL_MAX_CHARS - 1)}…` : s);

/** A plain-text table: seq, time, actor (role), API client, event + payload, from → to, money moved. */
export function timelineTable(entries: readonly TimelineEntry[]): string {
  const header = ['seq', 'time', 'actor', 'client', 'event', 'from → to', 'money moved'];
  const rows = entries.map((e) => {
    const payload = Object.keys(e.payload).length ? ` ${JSON.stringify(e.payload)}` : '';
    const money = e.transfers.map((t) => `${t.kind ?? 'transfer'} ${t.amount}`).join(', ') || '—';
    return [
      String(e.seq),
      e.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      cut(e.role ? `${e.actor} (${e.role})` : e.actor),
      // "—": raised by a timer or settlement (or recorded before clients were), not by an API client's request.
      cut(e.client ? e.client.name : '—'),
      cut(`${e.type}${payload}`),
      cut(`${show(e.from)} → ${show(e.to)}`),
      cut(money),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}

// CSV as RFC 4180 writes it: fields separated by commas, lines by CRLF, a field quoted (its quotes doubled) when
// it holds a comma, a quote or a line break.
//
// A statement is opened in spreadsheets, and ids come from clients: a text cell that begins with = + - @ or a
// tab/CR would be read as a formula there (OWASP "CSV Injection"). Such a text cell is written with a leading
// apostrophe, which spreadsheets show as text and do not display. Number cells (amounts, balances, seq) are
// written as they are: a minus sign there is the amount's sign.

const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA_START = /^[=+\-@\t\r]/;

export type CsvCell = { text: string } | { number: string } | null;

function encodeCell(cell: CsvCell): string {
  if (cell === null) return '';
  const value = 'number' in cell ? cell.number : FORMULA_START.test(cell.text) ? `'${cell.text}` : cell.text;
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One CSV line, CRLF-terminated. */
export function csvLine(cells: readonly CsvCell[]): string {
  return `${cells.map(encodeCell).join(',')}\r\n`;
}

export const text = (value: string | null): CsvCell => (value === null ? null : { text: value });
export const number = (value: bigint | number | null): CsvCell => (value === null ? null : { number: String(value) });

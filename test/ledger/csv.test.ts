import { describe, expect, it } from 'vitest';
import { csvLine, number, text } from '../../src/ledger/csv.js';

// CSV cells of a statement (src/ledger/csv.ts): RFC 4180 quoting, and text that a spreadsheet would run as a
// formula is kept text.

describe('statement CSV cells', () => {
  it('writes plain cells as they are, empty for null, CRLF at the end', () => {
    expect(csvLine([text('dep_1'), number(-500n), text(null), number(3)])).toBe('dep_1,-500,,3\r\n');
  });

  it('quotes a cell with a comma, a quote or a line break, doubling its quotes', () => {
    expect(csvLine([text('a,b'), text('say "hi"'), text('two\nlines')])).toBe('"a,b","say ""hi""","two\nlines"\r\n');
  });

  it('keeps text that starts like a formula from being run by a spreadsheet', () => {
    expect(csvLine([text('=HYPERLINK("x")'), text('+1'), text('-2'), text('@SUM(A1)')])).toBe(
      `"'=HYPERLINK(""x"")",'+1,'-2,'@SUM(A1)\r\n`,
    );
    expect(csvLine([number(-2n)])).toBe('-2\r\n');
  });
});

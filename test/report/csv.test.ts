import { describe, expect, it } from 'vitest';
import { renderCsv } from '../../src/report/csv.js';
import { emptyReport, hostileReport, sampleReport } from './fixtures.js';

/** Reads RFC 4180 text back into rows, so the tests check what a spreadsheet would see. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index] as string;
    if (quoted) {
      if (character === '"' && text[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (character === '"') quoted = false;
      else field += character;
    } else if (character === '"') quoted = true;
    else if (character === ',') {
      row.push(field);
      field = '';
    } else if (character === '\r' && text[index + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      index += 1;
    } else field += character;
  }
  return rows;
}

describe('renderCsv', () => {
  it('writes one row per finding', () => {
    const report = sampleReport();
    const rows = parseCsv(renderCsv(report));
    expect(rows[0]?.slice(0, 6)).toEqual(['id', 'status', 'severity', 'check', 'area', 'title']);
    expect(rows).toHaveLength(1 + report.findings.length + report.suppressed.length);
    expect(rows.every((row) => row.length === 15)).toBe(true);
  });

  it('includes suppressed findings with reason', () => {
    const rows = parseCsv(renderCsv(sampleReport()));
    const suppressed = rows.filter((row) => row[1] === 'suppressed');
    expect(suppressed).toHaveLength(1);
    expect(suppressed[0]?.[13]).toBe('Import job retries by design.');
    expect(suppressed[0]?.[14]).toBe('2027-01-31');
  });

  it('quotes commas, quotes and line breaks', () => {
    const report = sampleReport();
    const base = report.findings[0];
    if (!base) throw new Error('no finding');
    const title = 'a, "b"\nc';
    const rows = parseCsv(renderCsv({ ...report, findings: [{ ...base, title }], suppressed: [] }));
    expect(rows[1]?.[5]).toBe(title);
  });

  it('neutralises formulas', () => {
    const report = sampleReport();
    const base = report.findings[0];
    if (!base) throw new Error('no finding');
    const rows = parseCsv(renderCsv({ ...report, findings: [{ ...base, title: '=HYPERLINK("http://x","y")', problem: '+1', risk: '-1', recommendation: '@SUM(A1)' }], suppressed: [] }));
    expect(rows[1]?.slice(5, 10)).toEqual(["'=HYPERLINK(\"http://x\",\"y\")", rows[1]?.[6], "'+1", "'-1", "'@SUM(A1)"]);
  });

  it('keeps every hostile row intact', () => {
    const report = hostileReport();
    const rows = parseCsv(renderCsv(report));
    expect(rows).toHaveLength(1 + report.findings.length + report.suppressed.length);
    expect(rows.every((row) => row.length === 15)).toBe(true);
  });

  it('writes only the header without findings', () => {
    expect(parseCsv(renderCsv(emptyReport()))).toHaveLength(1);
  });
});

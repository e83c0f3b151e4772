import type { Report } from './report.js';

/** The machine contract: the report object itself, with keys in a fixed order so output is byte-stable. */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AsffError, renderAsff } from '../report/asff.js';
import { renderCsv } from '../report/csv.js';
import { renderHtml } from '../report/html.js';
import { renderJson } from '../report/json.js';
import { createLineLocator } from '../report/locate.js';
import { renderMarkdown } from '../report/markdown.js';
import type { Report } from '../report/report.js';
import { renderSarif } from '../report/sarif.js';
import { renderTerminal } from '../report/terminal.js';
import { UsageError } from './io.js';

export const FORMATS = ['terminal', 'markdown', 'json', 'html', 'sarif', 'asff', 'csv'] as const;
export type Format = (typeof FORMATS)[number];

export interface RenderOptions {
  color: boolean;
  verbose: boolean;
  /** The snapshot folder, read again only by SARIF to find the line of each evidence location. */
  snapshotRoot?: string;
}

/** Renders a report in one of the `-o` formats. A report that a format cannot express is a usage error. */
export function renderReport(report: Report, format: Format, options: RenderOptions): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'markdown':
      return renderMarkdown(report);
    case 'html':
      return renderHtml(report);
    case 'csv':
      return renderCsv(report);
    case 'sarif': {
      const root = options.snapshotRoot;
      return renderSarif(report, root === undefined ? {} : { lineOf: createLineLocator((file) => readSnapshotFile(root, file)) });
    }
    case 'asff':
      try {
        return renderAsff(report);
      } catch (error) {
        if (error instanceof AsffError) throw new UsageError(error.message);
        throw error;
      }
    default:
      return renderTerminal(report, { color: options.color, verbose: options.verbose });
  }
}

function readSnapshotFile(root: string, file: string): string | undefined {
  const resolved = path.resolve(root, file);
  // Sources name files inside the snapshot; anything resolving outside it is not read.
  if (!resolved.startsWith(path.resolve(root) + path.sep)) return undefined;
  try {
    return readFileSync(resolved, 'utf8');
  } catch {
    return undefined;
  }
}

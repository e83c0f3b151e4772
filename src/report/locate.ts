import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { SourceRef } from '../inventory/source.js';

/** A JSON or YAML text parsed once, with the line index needed to turn node offsets into lines. */
interface ParsedText {
  documents: Document.Parsed[];
  lineCounter: LineCounter;
}

/**
 * Finds the 1-based line at which the object a JSONPath names starts in a JSON or YAML text, for
 * formats that point at lines (SARIF). Returns undefined when the text or the path does not resolve.
 */
export function lineOfPath(text: string, document: number | undefined, jsonPath: string): number | undefined {
  return lineIn(parseText(text), document, jsonPath);
}

/**
 * Builds a line lookup over snapshot files read by `readFile` (relative to the snapshot root), reading and
 * parsing each file once. `readFile` returns undefined when a file cannot be read.
 */
export function createLineLocator(readFile: (file: string) => string | undefined): (source: SourceRef) => number | undefined {
  const parsed = new Map<string, ParsedText | undefined>();
  return (source) => {
    if (!parsed.has(source.file)) {
      const text = readFile(source.file);
      parsed.set(source.file, text === undefined ? undefined : parseText(text));
    }
    const entry = parsed.get(source.file);
    return entry === undefined ? undefined : lineIn(entry, source.document, source.path);
  };
}

/**
 * Splits a JSONPath as src/inventory/source.ts writes it (`$.items[3].spec`, `$["odd key"]`) into keys and
 * indexes. Returns undefined for any other syntax.
 */
export function parseJsonPath(jsonPath: string): Array<string | number> | undefined {
  if (!jsonPath.startsWith('$')) return undefined;
  const segments: Array<string | number> = [];
  let rest = jsonPath.slice(1);
  while (rest.length > 0) {
    const identifier = /^\.([A-Za-z_$][A-Za-z0-9_$]*)/.exec(rest);
    const index = /^\[(\d+)\]/.exec(rest);
    const quoted = /^\[("(?:[^"\\]|\\.)*")\]/.exec(rest);
    const match = identifier ?? index ?? quoted;
    if (!match) return undefined;
    if (identifier) segments.push(identifier[1] as string);
    else if (index) segments.push(Number(index[1]));
    else segments.push(JSON.parse(match[1] as string) as string);
    rest = rest.slice(match[0].length);
  }
  return segments;
}

function parseText(text: string): ParsedText {
  const lineCounter = new LineCounter();
  return { documents: parseAllDocuments(text, { lineCounter }) as Document.Parsed[], lineCounter };
}

function lineIn(parsed: ParsedText, document: number | undefined, jsonPath: string): number | undefined {
  const segments = parseJsonPath(jsonPath);
  if (segments === undefined || !Array.isArray(parsed.documents)) return undefined;
  const target = parsed.documents[document ?? 0];
  if (!target || target.errors.length > 0) return undefined;
  const node = segments.length === 0 ? target.contents : target.getIn(segments, true);
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range ? parsed.lineCounter.linePos(range[0]).line : undefined;
}

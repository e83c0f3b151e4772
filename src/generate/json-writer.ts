import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';

// Writes JSON exactly as the exporting tools print it, streaming the one large array of each file so
// that generating a 100,000-pod snapshot never holds a whole file in memory.
//
// - The AWS CLI prints `json.dump(response, indent=4, ensure_ascii=False)` plus a newline, with keys in
//   the order of the service model. For ASCII text, integers and booleans that is byte for byte what
//   `JSON.stringify(value, null, 4)` prints, so AWS objects are built with their keys in model order.
// - kubectl prints `json.MarshalIndent(object, "", "    ")` plus a newline. Objects come from the API as
//   unstructured maps, which Go's encoder writes with sorted keys, and the encoder escapes `<`, `>`, `&`,
//   U+2028 and U+2029 as `\u003c` and so on.

export type JsonStyle = 'aws' | 'kubectl';

const INDENT = 4;
const FLUSH_BYTES = 1 << 20;
const SENTINEL = '\u0000rampart-array\u0000';

/** Serialises one value in the given style, without a trailing newline. */
export function stringifyAs(style: JsonStyle, value: unknown): string {
  if (style === 'aws') return JSON.stringify(value, null, INDENT);
  const text = JSON.stringify(value, sortKeys, INDENT);
  return /[<>&\u2028\u2029]/.test(text) ? text.replace(/[<>&\u2028\u2029]/g, goEscape) : text;
}

/** Writes a small document in one go, creating the parent folders. */
export function writeJsonDocument(file: string, style: JsonStyle, value: unknown): number {
  mkdirSync(path.dirname(file), { recursive: true });
  const text = `${stringifyAs(style, value)}\n`;
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return Buffer.byteLength(text);
}

/**
 * A file whose document has one array written item by item. `template` is the whole document with
 * `ARRAY` in place of that array; items are appended with `add` and the file is finished with `close`.
 */
export class StreamingJsonFile {
  private readonly fd: number;
  private readonly head: string;
  private readonly tail: string;
  private readonly itemIndent: string;
  private readonly closingIndent: string;
  private chunks: string[] = [];
  private pendingBytes = 0;
  private count = 0;
  private bytes = 0;

  constructor(
    readonly file: string,
    private readonly style: JsonStyle,
    template: (array: typeof ARRAY) => unknown,
  ) {
    const text = stringifyAs(style, template(ARRAY));
    const marker = JSON.stringify(SENTINEL);
    const at = text.indexOf(marker);
    if (at === -1 || text.indexOf(marker, at + 1) !== -1) throw new Error(`the template of ${file} must place ARRAY exactly once`);
    this.head = text.slice(0, at);
    this.tail = `${text.slice(at + marker.length)}\n`;
    this.closingIndent = this.head.slice(this.head.lastIndexOf('\n') + 1).match(/^ */)?.[0] ?? '';
    this.itemIndent = this.closingIndent + ' '.repeat(INDENT);
    mkdirSync(path.dirname(file), { recursive: true });
    this.fd = openSync(file, 'w');
    this.push(this.head);
  }

  get items(): number {
    return this.count;
  }

  add(item: unknown): void {
    const text = stringifyAs(this.style, item).replaceAll('\n', `\n${this.itemIndent}`);
    this.push(`${this.count === 0 ? '[\n' : ',\n'}${this.itemIndent}${text}`);
    this.count += 1;
  }

  /** Finishes the document and returns the size of the file in bytes. */
  close(): number {
    this.push(this.count === 0 ? '[]' : `\n${this.closingIndent}]`);
    this.push(this.tail);
    this.flush();
    closeSync(this.fd);
    return this.bytes;
  }

  private push(text: string): void {
    this.chunks.push(text);
    this.pendingBytes += text.length;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
  }

  private flush(): void {
    if (this.chunks.length === 0) return;
    const text = this.chunks.join('');
    this.chunks = [];
    this.pendingBytes = 0;
    this.bytes += writeSync(this.fd, text);
  }
}

/** Stands for the streamed array in a template. */
export const ARRAY = SENTINEL;

function sortKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = (value as Record<string, unknown>)[key];
  return sorted;
}

function goEscape(character: string): string {
  return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

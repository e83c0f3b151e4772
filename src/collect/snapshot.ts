import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { InputProblem, RawFile, RawSnapshot } from './types.js';

/** Raised when the snapshot root itself cannot be used; problems inside single files never raise. */
export class SnapshotError extends Error {}

const PARSED_EXTENSIONS = new Set(['.json', '.yaml', '.yml']);

/**
 * Reads every JSON and YAML file below `root`. Files that cannot be read or parsed become problems and the
 * rest is still returned, so one broken export does not stop the audit of the others.
 */
export async function readSnapshotFolder(root: string): Promise<RawSnapshot> {
  const rootStat = await stat(root).catch((error: NodeJS.ErrnoException) => {
    throw new SnapshotError(`snapshot folder ${root} cannot be read: ${describeFsError(error)}`);
  });
  if (!rootStat.isDirectory()) {
    throw new SnapshotError(`snapshot ${root} is not a folder: pass the folder that holds the exported files`);
  }

  const snapshot: RawSnapshot = { root, files: [], problems: [], ignored: [] };
  const relativePaths = (await listFiles(root, '', snapshot.problems)).sort();
  for (const relative of relativePaths) {
    const extension = path.extname(relative).toLowerCase();
    if (!PARSED_EXTENSIONS.has(extension)) {
      snapshot.ignored.push({ file: relative, reason: 'not a JSON or YAML file' });
      continue;
    }
    let text: string;
    try {
      text = await readFile(path.join(root, relative), 'utf8');
    } catch (error) {
      snapshot.problems.push({ level: 'error', file: relative, message: `cannot be read: ${describeFsError(error as NodeJS.ErrnoException)}` });
      continue;
    }
    const parsed = extension === '.json' ? parseJsonFile(relative, text) : parseYamlFile(relative, text);
    snapshot.problems.push(...parsed.problems);
    if (parsed.file) snapshot.files.push(parsed.file);
  }
  return snapshot;
}

async function listFiles(root: string, relative: string, problems: InputProblem[]): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(path.join(root, relative), { withFileTypes: true });
  } catch (error) {
    problems.push({ level: 'error', file: relative || '.', message: `folder cannot be read: ${describeFsError(error as NodeJS.ErrnoException)}` });
    return [];
  }
  const files: string[] = [];
  for (const entry of entries) {
    // Dot files hold tool state (.git, editor swap files, Rampart's own .rampart.yaml), never exports.
    if (entry.name.startsWith('.')) continue;
    const child = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await listFiles(root, child, problems)));
    else files.push(child);
  }
  return files;
}

/** Parses one JSON file; exported for live collection, which receives JSON text from the APIs. */
export function parseJsonFile(file: string, text: string): { file?: RawFile; problems: InputProblem[] } {
  if (text.trim() === '') return { problems: [{ level: 'error', file, message: 'is empty: expected the JSON output of an AWS CLI or kubectl command' }] };
  try {
    return { file: { file, documents: [JSON.parse(stripByteOrderMark(text))] }, problems: [] };
  } catch (error) {
    const detail = (error as Error).message;
    return { problems: [{ level: 'error', file, message: `is not valid JSON (${withLineNumber(text, detail)})` }] };
  }
}

export function parseYamlFile(file: string, text: string): { file?: RawFile; problems: InputProblem[] } {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(stripByteOrderMark(text), { lineCounter, uniqueKeys: false });
  const problems: InputProblem[] = [];
  const values: unknown[] = [];
  const list = Array.isArray(documents) ? documents : [documents];
  list.forEach((document, index) => {
    const firstError = document.errors[0];
    if (firstError) {
      const position = firstError.linePos?.[0];
      const where = position ? ` at line ${position.line}, column ${position.col}` : '';
      // The yaml library appends the position to its own message; Rampart states it once, in its own words.
      const detail = (firstError.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
      problems.push({ level: 'error', file, document: index, message: `is not valid YAML${where}: ${detail}` });
      return;
    }
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    // An empty document (a trailing `---`) is what kubectl and Helm leave between objects.
    if (value !== null && value !== undefined) values.push(value);
  });
  if (values.length === 0 && problems.length === 0) {
    problems.push({ level: 'error', file, message: 'is empty: expected kubectl YAML output' });
  }
  return { file: values.length > 0 ? { file, documents: values } : undefined, problems };
}

function stripByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Turns the character offset that V8 puts in JSON errors into a line and column a person can open. */
function withLineNumber(text: string, message: string): string {
  const match = /position (\d+)/.exec(message);
  if (!match) return message;
  const offset = Number(match[1]);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `${message.replace(/\s*\(line \d+ column \d+\)/, '')}, line ${line}, column ${column}`;
}

function describeFsError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'not found';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a folder';
    case 'ENOTDIR':
      return 'not a folder';
    default:
      return error.message;
  }
}

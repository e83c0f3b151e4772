/** Where an object or a problem came from: a snapshot file and a JSONPath inside it. */
export interface SourceRef {
  /** Path relative to the snapshot root, with `/` separators. */
  file: string;
  /** Zero-based document index inside a multi-document YAML file; absent for single-document files. */
  document?: number;
  /** JSONPath of the object inside the document, for example `$.SecurityGroups[2]`. */
  path: string;
}

export function formatSource(source: SourceRef): string {
  const document = source.document === undefined ? '' : ` (document ${source.document + 1})`;
  return `${source.file}${document} ${source.path}`;
}

/** Extends a JSONPath with object keys and array indexes, quoting keys that are not identifiers. */
export function childPath(path: string, ...segments: Array<string | number>): string {
  let result = path;
  for (const segment of segments) {
    if (typeof segment === 'number') result += `[${segment}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)) result += `.${segment}`;
    else result += `[${JSON.stringify(segment)}]`;
  }
  return result;
}

export function childSource(source: SourceRef, ...segments: Array<string | number>): SourceRef {
  return { ...source, path: childPath(source.path, ...segments) };
}

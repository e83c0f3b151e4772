/**
 * The collection layer's output: files as they were read, parsed but not interpreted. The inventory layer
 * recognises and validates them. Live collection produces the same shape from API responses.
 */
export interface RawFile {
  /** Path relative to the snapshot root, with `/` separators. */
  file: string;
  /** Parsed documents: one for JSON, one or more for YAML. */
  documents: unknown[];
}

export interface InputProblem {
  level: 'error' | 'warning';
  file: string;
  document?: number;
  path?: string;
  message: string;
}

export interface IgnoredFile {
  file: string;
  reason: string;
}

export interface RawSnapshot {
  /** The folder the snapshot was read from, or a label such as `live` for collected input. */
  root: string;
  files: RawFile[];
  problems: InputProblem[];
  ignored: IgnoredFile[];
}

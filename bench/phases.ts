// The result of one measurement, shared by bench/run.ts and its child process bench/measure.ts.

export type Phase = 'parse' | 'load' | 'checks' | 'audit' | 'aws-exposure' | 'reach-matrix' | 'reach-query';
export const PHASES: Phase[] = ['parse', 'load', 'checks', 'audit', 'aws-exposure', 'reach-matrix', 'reach-query'];

export interface Measurement {
  phase: Phase;
  /** False when the phase cannot run, for example because the reachability engine is missing. */
  available: boolean;
  reason?: string;
  /** Wall time of the whole phase, in milliseconds. */
  ms: number;
  /** Named parts of `ms`, in the order they ran. */
  parts: Record<string, number>;
  /** Peak resident set size of the measuring process (getrusage's ru_maxrss). */
  maxRssBytes: number;
  heapLimitBytes: number;
  details: Record<string, number | string>;
}

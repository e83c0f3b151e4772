import type { KindRecord } from './types.js';

/** One output of a collection before serialisation: JSON as the AWS CLI and kubectl print it, or YAML. */
export interface PendingOutput {
  content: unknown;
  format: 'json' | 'yaml';
}

/** Gathers what the AWS and Kubernetes collectors produce, and reports each call group as it finishes. */
export class CollectionSink {
  readonly outputs = new Map<string, PendingOutput>();
  readonly kinds: KindRecord[] = [];
  readonly awsActions = new Set<string>();

  /** Set when one side of the collection failed for good; the other side stops at its next call group. */
  private stopped: Error | undefined;

  constructor(private readonly progress?: (line: string) => void) {}

  stop(reason: Error): void {
    this.stopped ??= reason;
  }

  /** Raises the reason the collection was stopped, if it was. */
  throwIfStopped(): void {
    if (this.stopped) throw this.stopped;
  }

  addOutput(file: string, content: unknown, format: PendingOutput['format'] = 'json'): void {
    this.outputs.set(file, { content, format });
  }

  record(kind: KindRecord): void {
    this.throwIfStopped();
    this.kinds.push(kind);
    const where = kind.source === 'aws' ? `aws ${kind.region ?? ''}`.trim() : 'kubernetes';
    const outcome = kind.status === 'collected' ? String(kind.count) : `${kind.status}: ${kind.error ?? ''}`;
    this.progress?.(`${where}  ${kind.api}  ${outcome}`);
  }

  note(line: string): void {
    this.progress?.(line);
  }
}

/** Runs `work` on every item with at most `limit` calls in flight, keeping the results in item order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

import type { InputProblem } from '../../collect/types.js';
import { compareText } from '../../compare.js';
import { formatConnlist, nodeName, type MatrixEntry, type ReachVerdict } from '../../engines/reach/index.js';
import { problemLocation } from '../snapshot.js';
import type { AddressResolution, ServiceTarget } from './reach-endpoints.js';

// The text and JSON output of `rampart reach`. A query names one connection, or a Service's connections to
// each of its backend pods. Its result is `allowed`, `denied`, or `partly-allowed` when some backends allow
// it and others deny it.

export type QueryResult = 'allowed' | 'denied' | 'partly-allowed';

/** An input object or file that the load skipped as invalid, so that no verdict reflects it. */
export interface SkippedInput {
  file: string;
  document?: number;
  path?: string;
  message: string;
}

/** The parts of a query's output besides the verdicts. */
export interface QueryContext {
  addresses: AddressResolution[];
  skippedInputs: SkippedInput[];
}

export function skippedInputsOf(problems: InputProblem[]): SkippedInput[] {
  return problems
    .filter((problem) => problem.level === 'error')
    .map((problem) => ({ file: problem.file, ...(problem.document === undefined ? {} : { document: problem.document }), ...(problem.path ? { path: problem.path } : {}), message: problem.message }));
}

export function resultOf(verdicts: ReachVerdict[]): QueryResult {
  const allowed = verdicts.filter((verdict) => verdict.allowed).length;
  if (allowed === verdicts.length) return 'allowed';
  return allowed === 0 ? 'denied' : 'partly-allowed';
}

/** Renders one connection's verdict as text: the address resolutions, the verdict, then the skipped inputs. */
export function connectionText(verdict: ReachVerdict, context: QueryContext): string {
  return `${[...context.addresses.map((address) => address.sentence), verdict.explanation, ...skippedLines(context.skippedInputs)].join('\n')}\n`;
}

/** Renders one connection's verdict as JSON: the verdict's fields, the result, the address resolutions and the skipped inputs, with the text output as `explanation`. */
export function connectionJson(verdict: ReachVerdict, context: QueryContext): string {
  const { allowed, explanation: _verdictText, ...rest } = verdict;
  const body = {
    allowed,
    result: resultOf([verdict]),
    ...rest,
    ...(context.addresses.length > 0 ? { addresses: context.addresses } : {}),
    skippedInputs: context.skippedInputs,
    explanation: connectionText(verdict, context).trimEnd(),
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

/**
 * Renders a Service query as text: the summary line, how the Service port maps to each backend's target
 * port, one verdict per backend pod, then the skipped inputs.
 */
export function serviceText(target: ServiceTarget, verdicts: ReachVerdict[], context: QueryContext, source: string): string {
  const result = resultOf(verdicts);
  const allowedCount = verdicts.filter((verdict) => verdict.allowed).length;
  const head = `${source} → ${target.namespace}/service/${target.name} port ${target.port}/${target.protocol}: ${result.replace('-', ' ')} (${allowedCount} of ${verdicts.length} backend ${verdicts.length === 1 ? 'pod' : 'pods'}).`;
  const lines = [...context.addresses.map((address) => address.sentence), head, mappingSentence(target)];
  if (target.podsWithoutTargetPort.length > 0) {
    lines.push(`Not endpoints of this port: ${target.podsWithoutTargetPort.map((entry) => `${entry.pod} (${entry.reason})`).join(', ')}.`);
  }
  const blocks = [lines.join('\n'), ...verdicts.map((verdict) => verdict.explanation)];
  const skipped = skippedLines(context.skippedInputs);
  if (skipped.length > 0) blocks.push(skipped.join('\n'));
  return `${blocks.join('\n\n')}\n`;
}

/** Renders a Service query as JSON; docs/reach.md describes the shape. */
export function serviceJson(target: ServiceTarget, verdicts: ReachVerdict[], context: QueryContext, source: string): string {
  const body = {
    allowed: verdicts.every((verdict) => verdict.allowed),
    result: resultOf(verdicts),
    allowedBackends: verdicts.filter((verdict) => verdict.allowed).length,
    backendCount: verdicts.length,
    source,
    destination: `${target.namespace}/service/${target.name}`,
    protocol: target.protocol,
    port: target.port,
    service: { namespace: target.namespace, name: target.name, port: target.port, protocol: target.protocol, targetPort: target.targetPort, clusterIPs: target.clusterIPs },
    backends: verdicts,
    podsWithoutTargetPort: target.podsWithoutTargetPort,
    ...(context.addresses.length > 0 ? { addresses: context.addresses } : {}),
    assumptions: [...new Set(verdicts.flatMap((verdict) => verdict.assumptions))],
    notModelled: [...new Set(verdicts.flatMap((verdict) => verdict.notModelled))].sort(compareText),
    skippedInputs: context.skippedInputs,
    explanation: serviceText(target, verdicts, context, source).trimEnd(),
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

/** Lines that state the model's assumptions and notices, for standard error or a Markdown section. */
export interface MatrixNotes {
  assumptions: string[];
  notModelled: string[];
  skippedInputs: SkippedInput[];
}

/**
 * Writes the matrix in one format, row by row as `rows` hands them over, so that only one source's entries
 * are held at a time. Text keeps netpol-analyzer's connlist and CSV keeps its table, so the notes go to
 * standard error (see matrixNotesForStderr); JSON and Markdown carry them.
 */
export function writeMatrix(rows: (visit: (row: MatrixEntry[]) => void) => void, format: 'text' | 'json' | 'csv' | 'markdown', notes: MatrixNotes, write: (text: string) => void): void {
  const cells = (entry: MatrixEntry) => [nodeName(entry.source), nodeName(entry.destination), entry.connections.format()];
  switch (format) {
    case 'text':
      rows((row) => write(formatConnlist(row)));
      return;
    case 'json': {
      // The layout of JSON.stringify(…, null, 2), written one entry at a time.
      let first = true;
      write('{\n  "connections": [');
      rows((row) => {
        for (const entry of row) {
          const [source, destination, connections] = cells(entry);
          const text = JSON.stringify({ source, destination, connections }, null, 2).replace(/^/gm, '    ');
          write(`${first ? '\n' : ',\n'}${text}`);
          first = false;
        }
      });
      write(first ? ']' : '\n  ]');
      write(`,${JSON.stringify({ assumptions: notes.assumptions, notModelled: notes.notModelled, skippedInputs: notes.skippedInputs }, null, 2).slice(1)}\n`);
      return;
    }
    case 'csv':
      write('source,destination,connections\n');
      rows((row) => write(row.map((entry) => `${cells(entry).map(csvField).join(',')}\n`).join('')));
      return;
    case 'markdown': {
      write('| Source | Destination | Connections |\n| --- | --- | --- |');
      rows((row) => write(row.map((entry) => `\n| ${cells(entry).map(markdownCell).join(' | ')} |`).join('')));
      const sections = [
        markdownList('Assumptions', notes.assumptions),
        markdownList('Not modelled', notes.notModelled),
        markdownList('Skipped as invalid', notes.skippedInputs.map((input) => `${problemLocation(input)}: ${input.message}`)),
      ].filter((section) => section !== '');
      write(`${sections.map((section) => `\n\n${section}`).join('')}\n`);
      return;
    }
  }
}

/** Returns the notes as `rampart:` lines for standard error. Skipped inputs are left out, because the load already printed them there. */
export function matrixNotesForStderr(notes: MatrixNotes): string {
  return [...notes.assumptions.map((text) => `rampart: assumption: ${text}\n`), ...notes.notModelled.map((text) => `rampart: not modelled: ${text}\n`)].join('');
}

function mappingSentence(target: ServiceTarget): string {
  const ips = target.clusterIPs.length > 0 ? ` (cluster IP ${target.clusterIPs.join(', ')})` : '';
  const destinations = target.backends.map((backend) => `${target.protocol} ${backend.port} on ${backend.pod.namespace}/${backend.pod.name}`).join(', ');
  return `Service ${target.namespace}/${target.name}${ips} port ${target.port}/${target.protocol} has targetPort ${String(target.targetPort)}, so it sends the connection to ${destinations}.`;
}

function skippedLines(inputs: SkippedInput[]): string[] {
  return inputs.map((input) => `Skipped as invalid, so not part of this answer: ${problemLocation(input)}: ${input.message}`);
}

function markdownList(title: string, items: string[]): string {
  if (items.length === 0) return '';
  return [`## ${title}`, '', ...items.map((item) => `- ${markdownText(item)}`)].join('\n');
}

function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function markdownCell(value: string): string {
  return value.replace(/\|/g, '\\|');
}

function markdownText(value: string): string {
  return value.replace(/([\\`*_[\]<>|])/g, '\\$1');
}

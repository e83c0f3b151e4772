import { describe, expect, it } from 'vitest';
import { writeMatrix, type MatrixNotes } from '../../src/cli/commands/reach-output.js';
import { computeMatrix, forEachMatrixRow, nodeName, ReachModel, type MatrixEntry } from '../../src/engines/reach/index.js';
import { load, namespace, networkPolicy, pod } from '../engines/reach/support.js';

// The matrix is written one source at a time, so that a large cluster's matrix never sits in memory
// whole. The written text must be what formatting the whole list at once gives.

const documents = [
  namespace('shop'),
  namespace('ops'),
  pod('shop', 'db', { labels: { app: 'db' }, ip: '10.0.1.1', ports: [{ name: 'pg', containerPort: 5432 }] }),
  pod('shop', 'web', { labels: { app: 'web' }, ip: '10.0.1.2' }),
  pod('ops', 'tool', { labels: { app: 'tool' }, ip: '10.0.2.1' }),
  networkPolicy('shop', 'db-from-web', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }, { ipBlock: { cidr: '203.0.113.0/24' } }], ports: [{ port: 5432 }] }] }),
];

const notes: MatrixNotes = { assumptions: ['an assumption'], notModelled: [], skippedInputs: [] };

function written(model: ReachModel, format: 'text' | 'json' | 'csv' | 'markdown'): { text: string; writes: number } {
  let text = '';
  let writes = 0;
  writeMatrix((visit) => forEachMatrixRow(model, visit), format, notes, (chunk) => {
    text += chunk;
    writes += 1;
  });
  return { text, writes };
}

function expectedJson(entries: MatrixEntry[]): string {
  const connections = entries.map((entry) => ({ source: nodeName(entry.source), destination: nodeName(entry.destination), connections: entry.connections.format() }));
  return `${JSON.stringify({ connections, ...notes }, null, 2)}\n`;
}

describe('writeMatrix', () => {
  it('writes the JSON of the whole list', () => {
    const model = new ReachModel(load(documents).inventory);
    const { text, writes } = written(model, 'json');

    expect(text).toBe(expectedJson(computeMatrix(model)));
    expect(writes).toBeGreaterThan(3);
  });

  it('writes an empty list as JSON does', () => {
    const model = new ReachModel(load([namespace('shop')]).inventory);

    expect(written(model, 'json').text).toBe(expectedJson([]));
  });

  it('keeps sources in name order across rows', () => {
    const model = new ReachModel(load(documents).inventory);
    const rows: string[][] = [];
    forEachMatrixRow(model, (row) => rows.push(row.map((entry) => nodeName(entry.source))));

    expect(rows.every((row) => new Set(row).size === 1)).toBe(true);
    const sources = rows.map((row) => row[0] as string);
    expect(sources).toEqual([...sources].sort());
  });
});

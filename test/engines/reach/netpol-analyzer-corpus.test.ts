import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeMatrix, formatConnlist, ReachModel } from '../../../src/engines/reach/index.js';
import { CORPORA, HAS_CORPORA } from '../../support/corpora.js';
import { conformToApi, isRecord, loadCorpusFolder, netpolAnalyzerWorkload } from './support.js';

// netpol-analyzer's connlist cases (np-guard/netpol-analyzer tests/ and expected/): every case's allowed
// connections must equal the expected connlist line for line. Two differences in model are normalised:
// - netpol-analyzer names workloads by the pod's owner reference as written (a ReplicaSet stays a
//   ReplicaSet) and treats ipBlocks as addresses outside the pods, so the engine runs with that naming and
//   with ipBlocksMatchPods false;
// - netpol-analyzer treats hostNetwork pods like other pods, where the Kubernetes API says pod selectors
//   never select them, so hostNetwork is removed from the input.

const ROOT = path.join(CORPORA, 'netpol-analyzer');
const cases = HAS_CORPORA && existsSync(path.join(ROOT, 'tests')) ? readdirSync(path.join(ROOT, 'tests')).sort() : [];

describe.skipIf(!HAS_CORPORA || cases.length === 0)('netpol-analyzer connlist cases', () => {
  it('finds the cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)('%s', async (name) => {
    const load = await loadCorpusFolder(path.join(ROOT, 'tests', name), withoutHostNetwork);
    expect(load.problems.filter((problem) => problem.level === 'error')).toEqual([]);
    const model = new ReachModel(load.inventory, { ipBlocksMatchPods: false });
    const actual = lines(formatConnlist(computeMatrix(model, { workloadOf: netpolAnalyzerWorkload, ipv6: false })));
    const expected = lines(readFileSync(path.join(ROOT, 'expected', `${name}_connlist_output.txt`), 'utf8'));
    expect(actual.filter((line) => !expected.includes(line)), 'lines the engine adds').toEqual([]);
    expect(expected.filter((line) => !actual.includes(line)), 'lines the engine misses').toEqual([]);
  });
});

function lines(text: string): string[] {
  return text.split('\n').map((line) => line.trim()).filter(Boolean).sort();
}

function withoutHostNetwork(document: unknown): unknown {
  const conformed = conformToApi(document);
  const strip = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(strip);
    if (!isRecord(value)) return;
    if (Array.isArray(value.items)) value.items.forEach(strip);
    if (isRecord(value.spec) && Array.isArray(value.spec.containers)) delete value.spec.hostNetwork;
  };
  strip(conformed);
  return conformed;
}

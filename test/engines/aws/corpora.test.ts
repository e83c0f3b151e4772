import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeExposure } from '../../../src/engines/aws/exposure.js';
import { explain } from '../../../src/engines/aws/explain.js';
import { evaluateFlow, neededFlows } from '../../../src/engines/aws/flows.js';
import { networkOf } from '../../../src/engines/aws/network.js';
import { loadSnapshotFolder } from '../../../src/inventory/load.js';
import { CORPORA, HAS_CORPORA } from '../../support/corpora.js';

// Batfish's captured AWS outputs: every scenario must evaluate, and the two subnet scenarios have
// instances whose reachability is plain from their route tables and public IPs.

const BATFISH = path.join(CORPORA, 'batfish-aws');
const scenarios = HAS_CORPORA ? readdirSync(BATFISH).filter((name) => name.startsWith('test')) : [];

describe.skipIf(!HAS_CORPORA)('batfish AWS snapshots', () => {
  it.each(scenarios)('%s evaluates', async (scenario) => {
    const { inventory } = await loadSnapshotFolder(path.join(BATFISH, scenario));
    const result = computeExposure(inventory);
    for (const exposure of result.paths) expect(exposure.hops.length).toBeGreaterThan(0);
    const network = networkOf(inventory);
    for (const flow of neededFlows(inventory)) expect(['ok', 'blocked', 'partial', 'unresolved']).toContain(evaluateFlow(network, flow).status);
  });

  it('reaches SSH on the public instance only', async () => {
    // Both instances allow TCP 22 from 0.0.0.0/0; only one has a public IP in a subnet routed to the internet gateway.
    const { inventory } = await loadSnapshotFolder(path.join(BATFISH, 'test-public-private-subnet'));
    const ssh = computeExposure(inventory).paths.filter((exposure) => exposure.port === 22);
    expect(ssh.map((exposure) => exposure.target.id)).toEqual(['i-094a9e5b545a4fde4']);
    const blocked = explain(inventory, { to: 'i-099cf38911942421c', port: 22 });
    expect(blocked.verdict).toBe('blocked');
    // The private subnet's route table has no route to the internet gateway.
    expect(blocked.routes[0]?.blockedAt?.kind).toBe('route-table');
    expect(blocked.routes[0]?.blockedAt?.id).toMatch(/^rtb-/);
  });

  it('reaches SSH on the instance of the public subnet', async () => {
    const { inventory } = await loadSnapshotFolder(path.join(BATFISH, 'test-public-subnet'));
    const ssh = computeExposure(inventory).paths.filter((exposure) => exposure.port === 22);
    expect(ssh.map((exposure) => [exposure.target.id, exposure.source])).toEqual([['i-06669a407b2ef3ae5', '0.0.0.0/0']]);
  });
});

import { describe, expect, it } from 'vitest';
import { buildNetwork, networkOf } from '../../../src/engines/aws/network.js';
import { demoCluster } from '../../fixtures/aws/demo-cluster.js';
import { inventoryOf } from './support.js';

// Checks and fix verification ask networkOf for the same inventory many times, so the network is built
// once per inventory. buildNetwork always builds a new one.

describe('networkOf', () => {
  it('returns one instance per inventory', () => {
    const inventory = inventoryOf(demoCluster());

    expect(networkOf(inventory)).toBe(networkOf(inventory));
  });

  it('builds a new network for another inventory', () => {
    expect(networkOf(inventoryOf(demoCluster()))).not.toBe(networkOf(inventoryOf(demoCluster())));
  });

  it('leaves buildNetwork uncached', () => {
    const inventory = inventoryOf(demoCluster());
    const cached = networkOf(inventory);
    const fresh = buildNetwork(inventory);

    expect(fresh).not.toBe(cached);
    expect(fresh.enis.map((eni) => eni.id)).toEqual(cached.enis.map((eni) => eni.id));
  });
});

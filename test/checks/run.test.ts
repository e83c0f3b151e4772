import { describe, expect, it } from 'vitest';
import { missingInputs } from '../../src/checks/run.js';
import type { CheckMeta } from '../../src/checks/types.js';
import { Inventory, emptyInventoryData } from '../../src/inventory/inventory.js';
import type { ResourceKind } from '../../src/inventory/model.js';

const meta: CheckMeta = {
  id: 'example-check',
  title: 'Example check for the runner',
  severity: 'low',
  category: 'network-segmentation',
  description: 'Reads pods and either kind of policy.',
  reads: ['Pod', 'Namespace', 'NetworkPolicy', 'CalicoNetworkPolicy'],
  requires: ['Pod', 'Namespace'],
  requiresAny: [['NetworkPolicy', 'CalicoNetworkPolicy']],
  references: ['https://kubernetes.io/docs/concepts/services-networking/network-policies/'],
  limitations: [],
};

function inventoryWith(...kinds: ResourceKind[]): Inventory {
  const data = emptyInventoryData();
  for (const kind of kinds) data.present.add(kind);
  return new Inventory(data);
}

describe('missingInputs', () => {
  it('accepts any one kind of a group', () => {
    expect(missingInputs(meta, inventoryWith('Pod', 'Namespace', 'CalicoNetworkPolicy'))).toEqual([]);
    expect(missingInputs(meta, inventoryWith('Pod', 'Namespace', 'NetworkPolicy'))).toEqual([]);
  });

  it('names a group with none of its kinds', () => {
    expect(missingInputs(meta, inventoryWith('Pod', 'Namespace'))).toEqual(['no NetworkPolicy or CalicoNetworkPolicy in the snapshot (the check needs at least one of these kinds)']);
  });

  it('names every missing required kind', () => {
    // A kind present with no objects counts as present: the snapshot looked and found none.
    expect(missingInputs(meta, inventoryWith('NetworkPolicy'))).toEqual(['no Pod, Namespace in the snapshot']);
  });

  it('lists both kinds of gap together', () => {
    expect(missingInputs(meta, inventoryWith('Namespace'))).toEqual(['no Pod in the snapshot', 'no NetworkPolicy or CalicoNetworkPolicy in the snapshot (the check needs at least one of these kinds)']);
  });
});

import { describe, expect, it } from 'vitest';
import { inventoryWithPolicyChange, reachModel, ReachModel, type PodEndpoint, type PolicyChange } from '../../../src/engines/reach/index.js';
import { Inventory } from '../../../src/inventory/inventory.js';
import { calicoPolicy, calicoProfile, calicoTier, endpointSlice, load, namespace, networkPolicy, pod, service } from './support.js';

// Checks, fixes and the CLI all ask reachModel for the same inventory, so the model is built once per
// inventory and not once per finding.

const documents = [namespace('shop'), pod('shop', 'web', { ip: '10.0.1.1' })];

describe('reachModel', () => {
  it('returns one instance per inventory', () => {
    const inventory = load(documents).inventory;

    expect(reachModel(inventory)).toBe(reachModel(inventory));
  });

  it('builds a new model for another inventory', () => {
    expect(reachModel(load(documents).inventory)).not.toBe(reachModel(load(documents).inventory));
  });

  it('does not cache explicit ipBlock options', () => {
    const inventory = load(documents).inventory;
    const cached = reachModel(inventory);
    const explicit = reachModel(inventory, { ipBlocksMatchPods: !cached.ipBlocksMatchPods });

    expect(explicit).not.toBe(cached);
    expect(explicit.ipBlocksMatchPods).toBe(!cached.ipBlocksMatchPods);
    expect(reachModel(inventory)).toBe(cached);
  });
});

// A verified fix builds a model of the inventory with the change applied. It may reuse the pods and classes
// of the model before the change when those classes are at least as fine as the changed policies need.
describe('ReachModel classesFrom', () => {
  const pods = [
    namespace('shop'),
    namespace('ops'),
    pod('shop', 'db', { labels: { app: 'db' }, ip: '10.0.1.1', ports: [{ name: 'pg', containerPort: 5432 }] }),
    pod('shop', 'web', { labels: { app: 'web' }, ip: '10.0.1.2' }),
    // tool and tool-2 share a class until an ipBlock puts them in different address pieces.
    pod('ops', 'tool', { labels: { app: 'tool' }, ip: '10.0.2.1' }),
    pod('ops', 'tool-2', { labels: { app: 'tool' }, ip: '10.0.4.1' }),
    pod('ops', 'agent', { labels: { app: 'agent' }, ip: '10.0.3.1', hostNetwork: true, nodeName: 'node-1' }),
  ];
  const ipBlockPolicy = networkPolicy('shop', 'db-from-ops', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: '10.0.2.0/24' } }] }] }) as Record<string, unknown>;
  const webOnly = networkPolicy('shop', 'db-from-web', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 'pg', protocol: 'TCP' }] }] }) as Record<string, unknown>;

  function connectionTable(model: ReachModel): string[] {
    const lines: string[] = [];
    for (const source of model.pods) {
      for (const destination of model.pods) {
        const connections = model.connections({ kind: 'pod', pod: source }, { kind: 'pod', pod: destination });
        lines.push(`${source.namespace}/${source.name} => ${destination.namespace}/${destination.name}: ${connections.format()}`);
      }
    }
    return lines.sort();
  }

  function modelsAfter(documents: object[], change: PolicyChange, ipBlocksMatchPods: boolean): { before: ReachModel; reused: ReachModel; fresh: ReachModel } {
    const inventory = load(documents).inventory;
    const before = new ReachModel(inventory, { ipBlocksMatchPods });
    const changed = inventoryWithPolicyChange(inventory, change);
    return { before, reused: new ReachModel(changed, { ipBlocksMatchPods, classesFrom: before }), fresh: new ReachModel(changed, { ipBlocksMatchPods }) };
  }

  it('reuses classes when the change adds no address', () => {
    const { before, reused, fresh } = modelsAfter([...pods, ipBlockPolicy], { add: [webOnly], remove: [{ namespace: 'shop', name: 'db-from-ops' }] }, true);

    expect(reused.classes).toBe(before.classes);
    expect(reused.pods).toBe(before.pods);
    expect(connectionTable(reused)).toEqual(connectionTable(fresh));
    expect(connectionTable(reused)).not.toEqual(connectionTable(before));
  });

  it('rebuilds classes when the change splits addresses', () => {
    const { before, reused, fresh } = modelsAfter([...pods, webOnly], { add: [ipBlockPolicy], remove: [] }, true);

    expect(reused.classes).not.toBe(before.classes);
    expect(before.classes.length).toBe(4);
    expect(fresh.classes.length).toBe(5);
    expect(reused.classes.length).toBe(5);
    expect(connectionTable(reused)).toEqual(connectionTable(fresh));
    expect(connectionTable(reused)).not.toEqual(connectionTable(before));
  });

  it('rebuilds classes for another ipBlock setting', () => {
    const inventory = load([...pods, webOnly]).inventory;
    const before = new ReachModel(inventory, { ipBlocksMatchPods: false });
    const after = new ReachModel(inventoryWithPolicyChange(inventory, { add: [], remove: [] }), { ipBlocksMatchPods: true, classesFrom: before });

    expect(after.classes).not.toBe(before.classes);
  });

  it('reuses compiled unchanged policies', () => {
    const denyEgress = networkPolicy('shop', 'deny-egress', { podSelector: {}, policyTypes: ['Egress'] }) as Record<string, unknown>;
    const globalDeny = calicoPolicy('GlobalNetworkPolicy', 'ops-deny-db', { order: 10, selector: "app == 'tool'", types: ['Egress'], egress: [{ action: 'Deny', destination: { selector: "app == 'db'" } }] }) as Record<string, unknown>;
    const calicoAllow = calicoPolicy('NetworkPolicy', 'db-from-tool', { order: 100, selector: "app == 'db'", types: ['Ingress'], ingress: [{ action: 'Allow', source: { namespaceSelector: "projectcalico.org/name == 'ops'" } }] }, 'shop') as Record<string, unknown>;
    const { before, reused, fresh } = modelsAfter([...pods, webOnly, globalDeny], { add: [denyEgress, calicoAllow], remove: [{ namespace: 'shop', name: 'db-from-web' }] }, false);

    expect(reused.classes).toBe(before.classes);
    const kept = reused.policies.find((policy) => policy.ref.name === 'ops-deny-db');
    expect(kept).toBeDefined();
    expect(before.policies).toContain(kept);
    expect(reused.policies.map((policy) => policy.ref.name).sort()).toEqual(['db-from-tool', 'deny-egress', 'ops-deny-db']);
    expect(connectionTable(reused)).toEqual(connectionTable(fresh));
    expect(connectionTable(reused)).not.toEqual(connectionTable(before));
  });

  it('shares the policy lists of classes no added or removed policy selects', () => {
    const { before, reused } = modelsAfter([...pods, webOnly], { add: [networkPolicy('shop', 'web-egress', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'] }) as Record<string, unknown>], remove: [] }, false);
    const web = before.classOf(before.pod('shop', 'web') as PodEndpoint);
    const db = before.classOf(before.pod('shop', 'db') as PodEndpoint);

    expect(reused.appliedTiers(db, 'ingress')).toBe(before.appliedTiers(db, 'ingress'));
    expect(reused.appliedTiers(web, 'egress')).not.toBe(before.appliedTiers(web, 'egress'));
    expect(reused.isIsolated(web, 'egress')).toBe(true);
    expect(before.isIsolated(web, 'egress')).toBe(false);
  });

  // kns.ops labels the ops pods, and its egress rules keep them from web.
  const opsProfile = calicoProfile('kns.ops', { labelsToApply: { stage: 'dev' }, ingress: [{ action: 'Allow' }], egress: [{ action: 'Deny', destination: { selector: "app == 'web'" } }, { action: 'Allow' }] });
  const dbFromDev = calicoPolicy('NetworkPolicy', 'db-from-dev', { selector: "app == 'db'", ingress: [{ action: 'Allow', source: { namespaceSelector: 'all()', selector: "stage == 'dev'" } }] }, 'shop') as Record<string, unknown>;

  it('reuses classes and compiled profiles when the Profiles are the same objects', () => {
    const { before, reused, fresh } = modelsAfter([...pods, opsProfile], { add: [dbFromDev], remove: [] }, false);
    const tool = before.classOf(before.pod('ops', 'tool') as PodEndpoint);

    expect(reused.classes).toBe(before.classes);
    expect(reused.profilesOf(tool)).toBeDefined();
    expect(reused.profilesOf(tool)).toBe(before.profilesOf(tool));
    expect(connectionTable(reused)).toEqual(connectionTable(fresh));
    expect(connectionTable(reused)).not.toEqual(connectionTable(before));
  });

  it('reuses the Istio and Ingress layers with the classes', () => {
    const sidecar = (document: object) => {
      const object = structuredClone(document) as { spec: { containers: object[] } };
      object.spec.containers.push({ name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.24.0' });
      return object;
    };
    const meshed = pods.map((document) => ((document as { kind?: string; metadata: { namespace?: string } }).kind === 'Pod' && (document as { metadata: { namespace?: string } }).metadata.namespace === 'shop' ? sidecar(document) : document));
    const dbFromWeb = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'db-from-web', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'db' } }, rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/default'] } }] }] } };
    const webIngress = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'shop' }, spec: { ingressClassName: 'nginx', defaultBackend: { service: { name: 'web', port: { number: 80 } } } } };
    const { before, reused, fresh } = modelsAfter([...meshed, webOnly, dbFromWeb, webIngress], { add: [networkPolicy('ops', 'deny-ops', { podSelector: {} }) as Record<string, unknown>], remove: [] }, false);

    expect(reused.classes).toBe(before.classes);
    expect(before.istio).toBeDefined();
    expect(reused.istio).toBe(before.istio);
    expect(reused.ingressRoutes).toBe(before.ingressRoutes);
    expect(connectionTable(reused)).toEqual(connectionTable(fresh));
    expect(connectionTable(reused)).not.toEqual(connectionTable(before));
  });

  it('rebuilds classes when the Profiles differ', () => {
    const inventory = load([...pods, opsProfile, dbFromDev]).inventory;
    const before = new ReachModel(inventory, { ipBlocksMatchPods: false });
    const otherProfiles = load([calicoProfile('kns.ops', { labelsToApply: { stage: 'test' }, ingress: [{ action: 'Allow' }], egress: [{ action: 'Allow' }] })]).inventory.data.calicoProfiles;
    const relabelled = new Inventory({ ...inventory.data, calicoProfiles: otherProfiles });
    const after = new ReachModel(relabelled, { ipBlocksMatchPods: false, classesFrom: before });
    const fresh = new ReachModel(relabelled, { ipBlocksMatchPods: false });

    expect(after.classes).not.toBe(before.classes);
    expect(connectionTable(after)).toEqual(connectionTable(fresh));
    expect(connectionTable(after)).not.toEqual(connectionTable(before));
  });

  it('recompiles Kubernetes policies when the CNI found changes', () => {
    // Calico adds projectcalico.org/namespace to every pod endpoint, so under Calico this policy isolates
    // the shop pods, and under an unknown CNI it selects nothing. The added Calico policy makes the CNI Calico.
    const calicoLabelled = networkPolicy('shop', 'calico-labelled', { podSelector: { matchLabels: { 'projectcalico.org/namespace': 'shop' } }, policyTypes: ['Ingress'] });
    const unrelated = calicoPolicy('GlobalNetworkPolicy', 'nothing', { selector: "app == 'none'", types: ['Ingress'] }) as Record<string, unknown>;
    const { before, reused, fresh } = modelsAfter([...pods, calicoLabelled], { add: [unrelated], remove: [] }, false);

    expect(before.kubernetesSelectorsSeeCalicoLabels).toBe(false);
    expect(reused.kubernetesSelectorsSeeCalicoLabels).toBe(true);
    expect(reused.classes).toBe(before.classes);
    expect(connectionTable(reused)).toEqual(connectionTable(fresh));
    expect(connectionTable(reused)).not.toEqual(connectionTable(before));
  });

  it('keeps the tiers when it reuses policy assignments', () => {
    // security passes what its policy does not decide, so the added Kubernetes policy decides for db.
    const security = calicoPolicy('GlobalNetworkPolicy', 'security.db', { tier: 'security', selector: "app == 'db'", types: ['Ingress'], ingress: [{ action: 'Deny', source: { selector: "app == 'agent'" } }] });
    const tiers = [calicoTier('security', { order: 100, defaultAction: 'Pass' }), calicoTier('default', { order: 1_000_000, defaultAction: 'Deny' })];
    const { before, reused, fresh } = modelsAfter([...pods, security, ...tiers], { add: [webOnly], remove: [] }, false);

    expect(reused.classes).toBe(before.classes);
    expect(connectionTable(reused)).toEqual(connectionTable(fresh));
    expect(connectionTable(reused)).not.toEqual(connectionTable(before));
    expect(reused.assumptions.join(' ')).not.toContain('tier');
  });

  it('reorders tiers when the Tier objects differ', () => {
    const allowTool = calicoPolicy('GlobalNetworkPolicy', 'first.db', { tier: 'first', selector: "app == 'db'", types: ['Ingress'], ingress: [{ action: 'Allow', source: { selector: "app == 'tool'" } }, { action: 'Pass' }] });
    const denyAll = calicoPolicy('GlobalNetworkPolicy', 'second.db', { tier: 'second', selector: "app == 'db'", types: ['Ingress'], ingress: [{ action: 'Deny' }] });
    const inventory = load([...pods, allowTool, denyAll, calicoTier('first', { order: 10 }), calicoTier('second', { order: 20 })]).inventory;
    const before = new ReachModel(inventory, { ipBlocksMatchPods: false });
    const swapped = new Inventory({ ...inventory.data, calicoTiers: load([calicoTier('first', { order: 30 }), calicoTier('second', { order: 20 })]).inventory.data.calicoTiers });
    const after = new ReachModel(swapped, { ipBlocksMatchPods: false, classesFrom: before });
    const fresh = new ReachModel(swapped, { ipBlocksMatchPods: false });

    expect(connectionTable(after)).toEqual(connectionTable(fresh));
    expect(connectionTable(after)).not.toEqual(connectionTable(before));
  });

  it('has no layer when the snapshot has no AuthorizationPolicy or Ingress', () => {
    const reach = new ReachModel(load([...pods, webOnly]).inventory);

    expect(reach.istio).toBeUndefined();
    expect(reach.ingressRoutes).toBeUndefined();
    expect(reach.layers({ kind: 'pod', pod: reach.pod('shop', 'web') as PodEndpoint }, { kind: 'pod', pod: reach.pod('shop', 'db') as PodEndpoint }).map((layer) => layer.layer)).toEqual(['policies']);
  });

  // db-0 and db-1 share labels, but only db-0 is an endpoint of the db Service, so they are two classes.
  const dbService = service('shop', 'db', { selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432, targetPort: 'pg' }] });
  const dbSlice = endpointSlice('shop', 'db-7xk2p', 'db', [{ address: '10.0.1.1', pod: 'db' }], [{ name: 'pg', port: 5432 }]);
  const secondDb = pod('shop', 'db-1', { labels: { app: 'db' }, ip: '10.0.1.9', ports: [{ name: 'pg', containerPort: 5432 }] });
  const toDbService = calicoPolicy('NetworkPolicy', 'tool-to-db', { selector: "app == 'tool'", types: ['Egress'], egress: [{ action: 'Allow', destination: { services: { name: 'db', namespace: 'shop' } } }] }, 'ops') as Record<string, unknown>;

  it('reuses classes split by Service membership', () => {
    const { before, reused, fresh } = modelsAfter([...pods, secondDb, dbService, dbSlice], { add: [toDbService], remove: [] }, false);

    expect(reused.classes).toBe(before.classes);
    expect(before.classOf(before.pod('shop', 'db') as PodEndpoint)).not.toBe(before.classOf(before.pod('shop', 'db-1') as PodEndpoint));
    expect(connectionTable(reused)).toEqual(connectionTable(fresh));
    expect(connectionTable(reused)).not.toEqual(connectionTable(before));
  });

  it('rebuilds classes when the EndpointSlices differ', () => {
    const inventory = load([...pods, secondDb, dbService, dbSlice, toDbService]).inventory;
    const before = new ReachModel(inventory, { ipBlocksMatchPods: false });
    const bothSlice = endpointSlice('shop', 'db-7xk2p', 'db', [{ address: '10.0.1.1', pod: 'db' }, { address: '10.0.1.9', pod: 'db-1' }], [{ name: 'pg', port: 5432 }]);
    const moved = new Inventory({ ...inventory.data, endpointSlices: load([bothSlice]).inventory.data.endpointSlices });
    const after = new ReachModel(moved, { ipBlocksMatchPods: false, classesFrom: before });
    const fresh = new ReachModel(moved, { ipBlocksMatchPods: false });

    expect(after.classes).not.toBe(before.classes);
    expect(connectionTable(after)).toEqual(connectionTable(fresh));
    expect(connectionTable(after)).not.toEqual(connectionTable(before));
  });

  it('compiles every policy again when the namespaces differ', () => {
    const inventory = load([...pods, webOnly]).inventory;
    const before = new ReachModel(inventory, { ipBlocksMatchPods: false });
    const relabelled = load([...pods.map((document) => ((document as { kind?: string; metadata?: { name?: string } }).kind === 'Namespace' && (document as { metadata: { name: string } }).metadata.name === 'ops' ? namespace('ops', { team: 'platform' }) : document)), webOnly]).inventory;
    const after = new ReachModel(relabelled, { ipBlocksMatchPods: false, classesFrom: before });

    for (const policy of after.policies) expect(before.policies).not.toContain(policy);
  });
});

// The namespace check skips destinations whose ingress cannot admit a source; skipping must never hide a connection.
describe('ReachModel ingressMayAdmit', () => {
  const documents = [
    namespace('shop'),
    namespace('ops'),
    pod('shop', 'db', { labels: { app: 'db' }, ip: '10.0.1.1', ports: [{ name: 'pg', containerPort: 5432 }] }),
    pod('shop', 'web', { labels: { app: 'web' }, ip: '10.0.1.2' }),
    pod('ops', 'tool', { labels: { app: 'tool' }, ip: '10.0.2.1' }),
    pod('ops', 'open', { labels: { app: 'open' }, ip: '10.0.2.2' }),
    networkPolicy('shop', 'deny', { podSelector: {}, policyTypes: ['Ingress'] }),
    networkPolicy('shop', 'db-from-web', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }] }),
    calicoPolicy('NetworkPolicy', 'tool-ingress', { selector: "app == 'tool'", types: ['Ingress'], ingress: [{ action: 'Deny', source: { selector: "app == 'web'" } }, { action: 'Allow' }] }, 'ops'),
  ];

  it('is false only where no connection exists', () => {
    const reach = new ReachModel(load(documents).inventory);
    let skipped = 0;
    for (const source of reach.classes) {
      const mayAdmit = reach.ingressMayAdmit(source);
      for (const destination of reach.classes) {
        if (mayAdmit(destination)) continue;
        skipped += 1;
        expect(reach.classConnections(source, destination).isEmpty(), `${source.pods[0]?.name} → ${destination.pods[0]?.name}`).toBe(true);
      }
    }
    expect(skipped).toBeGreaterThan(0);
  });

  it('admits what a Calico policy decides', () => {
    const reach = new ReachModel(load(documents).inventory);
    const tool = reach.classOf(reach.pod('ops', 'tool') as PodEndpoint);
    const db = reach.classOf(reach.pod('shop', 'db') as PodEndpoint);

    expect(reach.ingressMayAdmit(db)(tool)).toBe(true);
    expect(reach.ingressMayAdmit(tool)(db)).toBe(false);
  });
});

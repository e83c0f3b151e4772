import { describe, expect, it } from 'vitest';
import { applyChanges, describeVerification, verifyChanges } from '../../../src/engines/aws/changes.js';
import { computeExposure } from '../../../src/engines/aws/exposure.js';
import { clusterNetworking, evaluateFlow, neededFlows } from '../../../src/engines/aws/flows.js';
import { naiveProposals, proposeTierNacls } from '../../../src/engines/aws/nacl-proposal.js';
import { networkOf } from '../../../src/engines/aws/network.js';
import { IDS, demoCluster, documentOf, naclOf, securityGroupsOf } from '../../fixtures/aws/demo-cluster.js';
import { defaultDenies, inventoryOf, naclEntry, permission } from './support.js';

const ALL_SUBNETS = [IDS.publicA, IDS.publicB, IDS.privateA, IDS.privateB];

describe('needed flows', () => {
  it('covers clients, health checks, egress, control plane and nodes', () => {
    const kinds = new Set(neededFlows(inventoryOf(demoCluster())).map((flow) => flow.kind));
    expect([...kinds].sort()).toEqual(['control-plane-to-node', 'health-check', 'load-balancer-client', 'node-internet-egress', 'node-to-control-plane', 'node-to-node']);
  });

  it('all work on the allow-all example', () => {
    const inventory = inventoryOf(demoCluster());
    const network = networkOf(inventory);
    const broken = neededFlows(inventory).map((flow) => evaluateFlow(network, flow)).filter((outcome) => outcome.status !== 'ok');
    expect(broken.map((outcome) => outcome.flow.description)).toEqual([]);
  });

  it('reports replies on part of the ephemeral range as partial', () => {
    const files = demoCluster({ preserveClientIp: true });
    naclOf(files).Entries = [
      naclEntry(100, false, '-1', 'allow', '0.0.0.0/0'),
      naclEntry(100, true, '-1', 'allow', '10.20.0.0/16'),
      naclEntry(110, true, '6', 'allow', '0.0.0.0/0', [32768, 65535]),
      ...defaultDenies(),
    ];
    const inventory = inventoryOf(files);
    const network = networkOf(inventory);
    const client = neededFlows(inventory).find((flow) => flow.kind === 'load-balancer-client');
    expect(evaluateFlow(network, client as never).status).toBe('partial');
  });

  it('names the route table that blocks node egress', () => {
    const files = demoCluster();
    // The private subnets lose their NAT route, so node HTTPS has no way out.
    const tables = documentOf<{ RouteTables: Array<{ RouteTableId: string; Routes: unknown[] }> }>(files, 'aws/ec2-describe-route-tables.json').RouteTables;
    const privateTable = tables.find((table) => table.RouteTableId === IDS.privateRtb) as { Routes: unknown[] };
    privateTable.Routes = privateTable.Routes.slice(0, 1);
    const inventory = inventoryOf(files);
    const network = networkOf(inventory);
    const egress = neededFlows(inventory).find((flow) => flow.kind === 'node-internet-egress');
    const outcome = evaluateFlow(network, egress as never);
    expect(outcome.status).toBe('blocked');
    expect(outcome.blockedAt).toMatchObject({ kind: 'route-table', id: IDS.privateRtb, decision: 'deny' });
  });

  it('marks node egress unknown without route tables', () => {
    const files = demoCluster();
    delete files['aws/ec2-describe-route-tables.json'];
    const inventory = inventoryOf(files);
    const egress = neededFlows(inventory).find((flow) => flow.kind === 'node-internet-egress');
    const outcome = evaluateFlow(networkOf(inventory), egress as never);
    expect(outcome.status).toBe('unresolved');
    expect(outcome.hops[0]).toMatchObject({ kind: 'route-table', decision: 'not-evaluated' });
  });

  it('identifies Calico from its DaemonSet', () => {
    const files = demoCluster();
    files['kubernetes/daemonsets.json'] = [
      { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'calico-node', namespace: 'calico-system' }, spec: { selector: { matchLabels: { 'k8s-app': 'calico-node' } }, template: { metadata: { labels: { 'k8s-app': 'calico-node' } }, spec: { containers: [{ name: 'calico-node', image: 'calico/node:v3.28.0' }] } } } },
    ];
    expect(clusterNetworking(inventoryOf(files))).toBe('calico');
    expect(clusterNetworking(inventoryOf(demoCluster()))).toBe('unknown');
  });
});

describe('stricter NACLs', () => {
  it('proposes one NACL per tier that keeps every needed flow', () => {
    const inventory = inventoryOf(demoCluster({ preserveClientIp: true }));
    const { proposals } = proposeTierNacls(inventory, ALL_SUBNETS);
    expect(proposals.map((proposal) => [proposal.tier, proposal.subnetIds])).toEqual([
      ['public', [IDS.publicA, IDS.publicB]],
      ['private', [IDS.privateA, IDS.privateB]],
    ]);
    const verification = verifyChanges(inventory, proposals.map((proposal) => proposal.change));
    expect(describeVerification(verification)).toContain('keep working');
    expect(verification.cut).toEqual([]);
  });

  it('admits preserved client addresses on the NodePort in the private tier', () => {
    const preserved = proposeTierNacls(inventoryOf(demoCluster({ preserveClientIp: true })), ALL_SUBNETS).proposals.find((proposal) => proposal.tier === 'private');
    const notPreserved = proposeTierNacls(inventoryOf(demoCluster({ preserveClientIp: false })), ALL_SUBNETS).proposals.find((proposal) => proposal.tier === 'private');
    const nodePortEntry = (entries: Array<{ egress: boolean; fromPort?: number; cidr: string }> | undefined) => entries?.some((entry) => !entry.egress && entry.fromPort === IDS.nodePort && entry.cidr === '0.0.0.0/0');
    expect(nodePortEntry(preserved?.change.entries)).toBe(true);
    expect(nodePortEntry(notPreserved?.change.entries)).toBe(false);
  });

  it('shows which flows the hand-written proposals break', () => {
    const inventory = inventoryOf(demoCluster({ preserveClientIp: true }));
    const cuts = Object.fromEntries(
      naiveProposals(inventory, ALL_SUBNETS).map((proposal) => [proposal.name, [...new Set(verifyChanges(inventory, proposal.changes).cut.map((change) => change.flow.kind))].sort()]),
    );
    expect(cuts).toEqual({
      // Replies to the nodes' NAT traffic come from internet addresses, and preserved clients too.
      'private subnets admit only the VPC CIDR': ['load-balancer-client', 'node-internet-egress'],
      // A NACL matches the packet's destination, never the NAT gateway it is routed through.
      'private subnets send only to the NAT gateway': ['control-plane-to-node', 'health-check', 'load-balancer-client', 'node-internet-egress', 'node-to-control-plane', 'node-to-node'],
      // Replies from targets and the NAT gateway's internet replies arrive on ephemeral ports.
      'public subnets admit only ports 443': ['health-check', 'load-balancer-client', 'node-internet-egress'],
    });
  });
});

describe('applyChanges', () => {
  it('leaves the original inventory as it was', () => {
    const inventory = inventoryOf(demoCluster());
    const changed = applyChanges(inventory, [{ kind: 'revoke-security-group-ingress', groupId: IDS.clusterSg, rule: { ipProtocol: 'tcp', fromPort: IDS.nodePort, toPort: IDS.nodePort, cidr: '0.0.0.0/0' } }]);
    const count = (value: typeof inventory) => value.data.securityGroups[0]?.IpPermissions[1]?.IpRanges.length;
    expect([count(inventory), count(changed)]).toEqual([2, 1]);
  });

  it('rewrites the in-tree client rule when source ranges change', () => {
    const inventory = inventoryOf(demoCluster({ preserveClientIp: true }));
    const changed = applyChanges(inventory, [{ kind: 'set-service-source-ranges', namespace: 'ingress-nginx', name: 'ingress-nginx-controller', ranges: ['198.51.100.0/24'] }]);
    const node = computeExposure(changed).paths.find((path) => path.target.id === IDS.node1);
    expect(node?.admitted).toBe('198.51.100.0/24');
    expect(changed.data.services[0]?.spec.loadBalancerSourceRanges).toEqual(['198.51.100.0/24']);
  });
});

// A changed network shares with the network before the change every part built from arrays the change
// leaves alone, and rebuilds the parts whose inputs it edits.
describe('networks of changed inventories', () => {
  it('share load balancers and subnets after a security group change', () => {
    const inventory = inventoryOf(demoCluster());
    const changed = applyChanges(inventory, [{ kind: 'revoke-security-group-ingress', groupId: IDS.clusterSg, rule: { ipProtocol: 'tcp', fromPort: IDS.nodePort, toPort: IDS.nodePort, cidr: '0.0.0.0/0' } }]);
    const [before, after] = [networkOf(inventory), networkOf(changed)];

    expect(after.loadBalancers).toBe(before.loadBalancers);
    expect(after.subnets).toBe(before.subnets);
    expect(after.securityGroups.get(IDS.clusterSg)).not.toBe(before.securityGroups.get(IDS.clusterSg));
    expect(after.notModelled).toEqual(before.notModelled);
  });

  it('rebuild load balancers after a target group change', () => {
    const inventory = inventoryOf(demoCluster({ preserveClientIp: true }));
    const arn = inventory.data.targetGroups[0]?.TargetGroupArn as string;
    const changed = applyChanges(inventory, [{ kind: 'set-target-group-attribute', targetGroupArn: arn, key: 'preserve_client_ip.enabled', value: 'false' }]);
    const preserved = (network: ReturnType<typeof networkOf>) => network.loadBalancers.flatMap((lb) => lb.listeners.flatMap((listener) => listener.targetGroups.map((group) => group.preserveClientIp)));

    expect(networkOf(changed).loadBalancers).not.toBe(networkOf(inventory).loadBalancers);
    expect(preserved(networkOf(inventory))).toContain(true);
    expect(preserved(networkOf(changed))).not.toContain(true);
  });

  it('rebuild subnets after a NACL change', () => {
    const inventory = inventoryOf(demoCluster());
    const changed = applyChanges(inventory, [{ kind: 'replace-subnet-nacl', networkAclId: 'acl-proposed', vpcId: IDS.vpc, subnetIds: [IDS.privateA], entries: [] }]);

    expect(networkOf(changed).subnets).not.toBe(networkOf(inventory).subnets);
    expect(networkOf(changed).subnets.get(IDS.privateA)?.nacl?.id).toBe('acl-proposed');
  });
});

describe('describeVerification', () => {
  const SPARE_GROUP = 'sg-0e0e0e0e0e0e0e0e9';

  /** Builds the demo cluster with a security group that no interface carries. */
  function withSpareGroup(): Record<string, unknown[]> {
    const files = demoCluster();
    securityGroupsOf(files).push({
      Description: 'spare',
      GroupName: 'spare',
      GroupId: SPARE_GROUP,
      IpPermissions: [permission('tcp', 8080, 8080, { cidr: '0.0.0.0/0' })],
      IpPermissionsEgress: [],
      OwnerId: IDS.account,
      VpcId: IDS.vpc,
    });
    return files;
  }

  it('says when no needed flow passes through the change', () => {
    const inventory = inventoryOf(withSpareGroup());
    const verification = verifyChanges(inventory, [{ kind: 'revoke-security-group-ingress', groupId: SPARE_GROUP, rule: { ipProtocol: 'tcp', fromPort: 8080, toPort: 8080, cidr: '0.0.0.0/0' } }]);
    expect(verification.flowsChecked).toBeGreaterThan(0);
    expect(verification.flowsAffected).toBe(0);
    const text = describeVerification(verification);
    expect(text).toBe('No flow the cluster needs passes through this change.');
  });

  it('says when the snapshot gives no needed flows', () => {
    const files = withSpareGroup();
    const inventory = inventoryOf({ 'aws/ec2-describe-security-groups.json': files['aws/ec2-describe-security-groups.json'] as unknown[] });
    const verification = verifyChanges(inventory, [{ kind: 'revoke-security-group-ingress', groupId: SPARE_GROUP, rule: { ipProtocol: 'tcp', fromPort: 8080, toPort: 8080, cidr: '0.0.0.0/0' } }]);
    expect(verification.flowsChecked).toBe(0);
    const text = describeVerification(verification);
    expect(text).toContain('No flow the cluster needs passes through this change');
    expect(text).toContain('the snapshot shows no flow the cluster needs (it has no nodes or load balancers');
    expect(text).not.toMatch(/Checked 0|all 0/);
  });

  it('counts the flows a change passes through', () => {
    const inventory = inventoryOf(demoCluster());
    const verification = verifyChanges(inventory, [{ kind: 'authorize-security-group-ingress', groupId: IDS.clusterSg, rule: { ipProtocol: 'tcp', fromPort: 8080, toPort: 8080, cidr: '10.20.0.0/16' } }]);
    expect(verification.flowsAffected).toBeGreaterThan(0);
    expect(describeVerification(verification)).toMatch(/^Checked \d+ needed flows against the change \(\d+ pass through what it edits\): all \d+ that work today keep working\.$/);
  });
});

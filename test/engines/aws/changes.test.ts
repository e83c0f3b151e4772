import { describe, expect, it } from 'vitest';
import { applyChanges, describeVerification, verifyChanges } from '../../../src/engines/aws/changes.js';
import { computeExposure } from '../../../src/engines/aws/exposure.js';
import { clusterNetworking, evaluateFlow, neededFlows } from '../../../src/engines/aws/flows.js';
import { naiveProposals, proposeTierNacls } from '../../../src/engines/aws/nacl-proposal.js';
import { networkOf } from '../../../src/engines/aws/network.js';
import { IDS, demoCluster, naclOf } from '../../fixtures/aws/demo-cluster.js';
import { defaultDenies, inventoryOf, naclEntry } from './support.js';

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

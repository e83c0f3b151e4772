import { describe, expect, it } from 'vitest';
import { verifyChanges, type NetworkChange } from '../../../src/engines/aws/changes.js';
import { computeExposure } from '../../../src/engines/aws/exposure.js';
import { evaluateFlow, neededFlows } from '../../../src/engines/aws/flows.js';
import { nodePortsOf, ruleOwner } from '../../../src/engines/aws/kubernetes.js';
import { networkOf } from '../../../src/engines/aws/network.js';
import { IDS, LB_NAME, TG_ARN, TG_NAME, clusterGroupOf, demoCluster, documentOf } from '../../fixtures/aws/demo-cluster.js';
import { inventoryOf, permission } from './support.js';

// The source address a target receives NLB traffic from (AWS "Edit target group attributes for your Network
// Load Balancer"): the client's address with client IP preservation on, the NLB's private IP with it
// off. Health checks always come from the NLB's private IPs. Preservation defaults to on for instance
// targets and off for IP targets over TCP or TLS.

const NLB_IPS = ['10.20.0.57/32', '10.20.1.84/32'];

/** Replaces the 0.0.0.0/0 client rule with one rule per NLB private IP: the hand-written advice. */
const restrictToNlbIps: NetworkChange[] = [
  ...NLB_IPS.map((cidr): NetworkChange => ({ kind: 'authorize-security-group-ingress', groupId: IDS.clusterSg, rule: { ipProtocol: 'tcp', fromPort: IDS.nodePort, toPort: IDS.nodePort, cidr } })),
  { kind: 'revoke-security-group-ingress', groupId: IDS.clusterSg, rule: { ipProtocol: 'tcp', fromPort: IDS.nodePort, toPort: IDS.nodePort, cidr: '0.0.0.0/0' } },
];

describe('client IP preservation', () => {
  it('cuts every client when only NLB IPs are allowed and preservation is on', () => {
    const inventory = inventoryOf(demoCluster({ preserveClientIp: true }));
    const verification = verifyChanges(inventory, restrictToNlbIps);
    expect(verification.cut.map((change) => change.flow.kind)).toEqual(['load-balancer-client', 'load-balancer-client']);
    expect(verification.cut[0]?.after.blockedAt?.id).toBe(IDS.clusterSg);
  });

  it('keeps clients and health checks when preservation is off', () => {
    const inventory = inventoryOf(demoCluster({ preserveClientIp: false }));
    const verification = verifyChanges(inventory, restrictToNlbIps);
    expect(verification.cut).toEqual([]);
    // Clients still reach the NodePorts through the NLB; only paths that bypass it would lose them.
    expect(verification.exposureRemoved).toEqual([]);
    expect(verification.exposureNarrowed).toEqual([]);
  });

  it('defaults to on for instance targets without attributes', () => {
    const network = networkOf(inventoryOf(demoCluster()));
    const group = network.loadBalancers[0]?.listeners[0]?.targetGroups[0];
    expect([group?.preserveClientIp, group?.preserveClientIpOrigin]).toEqual([true, 'default']);
  });

  it('defaults to off for IP targets over TCP', () => {
    const files = demoCluster();
    const groups = documentOf<{ TargetGroups: Array<Record<string, unknown>> }>(files, 'aws/elbv2-describe-target-groups.json').TargetGroups;
    (groups[0] as Record<string, unknown>).TargetType = 'ip';
    documentOf<{ TargetHealthDescriptions: Array<{ Target: { Id: string } }> }>(files, `aws/elbv2-describe-target-health.${TG_NAME}.json`).TargetHealthDescriptions.forEach((description, index) => {
      description.Target.Id = index === 0 ? '10.20.10.11' : '10.20.11.12';
    });
    const group = networkOf(inventoryOf(files)).loadBalancers[0]?.listeners[0]?.targetGroups[0];
    expect(group?.preserveClientIp).toBe(false);
    expect(group?.targets.map((target) => target.eni?.id)).toEqual([IDS.node1Eni, IDS.node2Eni]);
  });

  it('sends health checks from the NLB private IPs whatever the setting', () => {
    for (const preserveClientIp of [true, false]) {
      const inventory = inventoryOf(demoCluster({ preserveClientIp }));
      const network = networkOf(inventory);
      const health = neededFlows(inventory).filter((flow) => flow.kind === 'health-check').map((flow) => evaluateFlow(network, flow).admitted.toCidrs());
      expect(health).toEqual([['10.20.0.57/32'], ['10.20.1.84/32']]);
    }
  });
});

describe('NLB security groups', () => {
  it('lets targets reference the NLB group even with preservation on', () => {
    const files = demoCluster({ preserveClientIp: true, nlbSecurityGroups: ['sg-0b0b0b0b0b0b0b0b1'] });
    const inventory = inventoryOf(files);
    const verification = verifyChanges(inventory, [
      { kind: 'authorize-security-group-ingress', groupId: IDS.clusterSg, rule: { ipProtocol: 'tcp', fromPort: IDS.nodePort, toPort: IDS.nodePort, groupId: 'sg-0b0b0b0b0b0b0b0b1' } },
      { kind: 'revoke-security-group-ingress', groupId: IDS.clusterSg, rule: { ipProtocol: 'tcp', fromPort: IDS.nodePort, toPort: IDS.nodePort, cidr: '0.0.0.0/0' } },
    ]);
    expect(verification.cut).toEqual([]);
  });

  it('limits clients to what the NLB group admits', () => {
    const files = demoCluster({ nlbSecurityGroups: ['sg-0b0b0b0b0b0b0b0b1'] });
    const nlbGroup = documentOf<{ SecurityGroups: Array<{ GroupId: string; IpPermissions: unknown[] }> }>(files, 'aws/ec2-describe-security-groups.json').SecurityGroups.find((group) => group.GroupId === 'sg-0b0b0b0b0b0b0b0b1');
    if (nlbGroup) nlbGroup.IpPermissions = [permission('tcp', 443, 443, { cidr: '203.0.113.0/24' })];
    const node = computeExposure(inventoryOf(files)).paths.find((path) => path.target.id === IDS.node1);
    expect(node?.admitted).toBe('203.0.113.0/24');
    expect(node?.hops.some((hop) => hop.kind === 'security-group-rule' && hop.id === 'sg-0b0b0b0b0b0b0b0b1')).toBe(true);
  });
});

describe('load balancer topology', () => {
  it('keeps an internal NLB out of internet exposure', () => {
    const files = demoCluster();
    const lbs = documentOf<{ LoadBalancers: Array<Record<string, unknown>> }>(files, 'aws/elbv2-describe-load-balancers.json').LoadBalancers;
    (lbs[0] as Record<string, unknown>).Scheme = 'internal';
    const paths = computeExposure(inventoryOf(files)).paths;
    expect(paths.filter((path) => path.loadBalancer)).toEqual([]);
  });

  it('sends only from the same zone when cross-zone is off', () => {
    const files = demoCluster({ preserveClientIp: false });
    const inventory = inventoryOf(files);
    const flow = neededFlows(inventory).find((candidate) => candidate.kind === 'load-balancer-client' && candidate.description.includes(IDS.node1));
    expect(flow).toBeDefined();
    // Node 1 (zone a) accepts only the zone b NLB address: with cross-zone off, no NLB node can reach it.
    const group = clusterGroupOf(files);
    group.IpPermissions = [permission('tcp', IDS.nodePort, IDS.nodePort, { cidr: '10.20.1.84/32' })];
    expect(evaluateFlow(networkOf(inventoryOf(files)), flow as never).status).toBe('blocked');
    files[`aws/elbv2-describe-load-balancer-attributes.${LB_NAME}.json`] = [{ Attributes: [{ Key: 'load_balancing.cross_zone.enabled', Value: 'true' }] }];
    expect(evaluateFlow(networkOf(inventoryOf(files)), flow as never).status).toBe('ok');
  });

  it('infers node targets when target health is not exported', () => {
    const files = demoCluster();
    delete files[`aws/elbv2-describe-target-health.${TG_NAME}.json`];
    const group = networkOf(inventoryOf(files)).loadBalancers[0]?.listeners[0]?.targetGroups.find((candidate) => candidate.arn === TG_ARN);
    expect(group?.targets.map((target) => [target.id, target.inferred])).toEqual([
      [IDS.node1, true],
      [IDS.node2, true],
    ]);
  });
});

describe('Kubernetes Services', () => {
  it('maps the Service to its load balancer by status hostname', () => {
    const network = networkOf(inventoryOf(demoCluster()));
    expect(network.loadBalancers[0]?.services.map((service) => `${service.namespace}/${service.name}`)).toEqual(['ingress-nginx/ingress-nginx-controller']);
    expect(network.services[0]?.inTreeName).toBe(LB_NAME);
  });

  it('traces in-tree rules to their role and load balancer', () => {
    const network = networkOf(inventoryOf(demoCluster()));
    const owners = network.securityGroups.get(IDS.clusterSg)?.ingress.map((rule) => ruleOwner(rule));
    expect(owners).toEqual([
      undefined,
      { controller: 'in-tree', role: 'client', loadBalancerName: LB_NAME },
      { controller: 'in-tree', role: 'health', loadBalancerName: LB_NAME },
      { controller: 'in-tree', role: 'mtu', loadBalancerName: LB_NAME },
    ]);
  });

  it('counts the health check NodePort of externalTrafficPolicy Local', () => {
    const files = demoCluster();
    const service = documentOf<{ spec: Record<string, unknown> }>(files, 'kubernetes/services.json');
    service.spec.externalTrafficPolicy = 'Local';
    service.spec.healthCheckNodePort = 32001;
    const network = networkOf(inventoryOf(files));
    expect(nodePortsOf(network.services[0] as never)).toEqual([IDS.nodePort, 32001]);
    expect(network.services[0]?.externalTrafficPolicy).toBe('Local');
  });
});

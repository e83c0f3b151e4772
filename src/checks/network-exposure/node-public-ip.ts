import type { Check, Evidence, FindingDraft } from '../types.js';
import { evidencePath, exposureContext, pathEvidence } from './exposure-context.js';

// Nodes with public IP addresses are one security group rule away from the internet. Where the subnet
// also routes to an internet gateway, the engine finds which ports the internet reaches today.

export const nodePublicIp: Check = {
  meta: {
    id: 'node-public-ip',
    title: 'Kubernetes node has a public IP address',
    severity: 'high',
    category: 'network-exposure',
    description: 'Reports Kubernetes nodes whose network interfaces carry a public IPv4 address or an Elastic IP, rated by whether the internet reaches any port on them.',
    reads: ['Instance', 'NetworkInterface', 'Node', 'Subnet', 'RouteTable', 'NetworkAcl', 'SecurityGroup', 'EksCluster'],
    requires: ['Instance'],
    references: ['https://docs.aws.amazon.com/eks/latest/best-practices/network-security.html', 'https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-9'],
    limitations: ['Without Node objects, instances count as nodes when they carry an EKS cluster security group or a kubernetes.io/cluster tag.', 'IPv6 addresses are not reported here; their exposure shows in sg-ingress-from-internet.'],
  },
  run({ inventory }) {
    const context = exposureContext(inventory);
    const { network } = context;
    const findings: FindingDraft[] = [];
    for (const instanceId of [...network.nodeInstanceIds].sort()) {
      const enis = network.enisByInstance.get(instanceId) ?? [];
      const publicIps = [...new Set(enis.flatMap((eni) => eni.publicIps))];
      if (publicIps.length === 0) continue;
      const paths = context.paths.filter((path) => path.via === 'direct' && path.target.id === instanceId);
      const subnets = [...new Set(enis.flatMap((eni) => (eni.subnetId ? [eni.subnetId] : [])))];
      const routed = subnets.some((id) => !(network.subnets.get(id)?.internet?.addresses.isEmpty() ?? true));
      const instance = inventory.instance(instanceId);
      const evidence: Evidence[] = [{ fact: `Instance ${instanceId} has public IP ${publicIps.join(', ')} on ${enis.map((eni) => eni.id).join(', ')}.`, ...(enis[0] ? { source: enis[0].source } : {}) }];
      for (const path of paths.slice(0, 6)) evidence.push(pathEvidence(path));
      if (paths.length > 6) evidence.push({ fact: `${paths.length - 6} more paths reach ${instanceId}; rampart exposure --to ${instanceId} lists them all.`, ...(enis[0] ? { source: enis[0].source } : {}) });
      const ports = [...new Set(paths.map((path) => `${path.protocol} ${path.port}`))];
      findings.push({
        severity: severityOf(paths.length > 0, routed),
        title: `Node ${instanceId} has public IP ${publicIps[0]}${paths.length > 0 ? ` reachable on ${ports.length} port(s)` : ''}`,
        resources: [{ kind: 'Instance', id: instanceId, ...(instance?.PrivateDnsName ? { name: instance.PrivateDnsName } : {}) }],
        problem: `Node ${instanceId} has public IP ${publicIps.join(', ')}${routed ? ' in a subnet routed to an internet gateway' : ', but its subnet has no internet gateway route'}. ${paths.length > 0 ? `The internet reaches it directly on ${ports.join(', ')}.` : 'No port is reachable from the internet today.'}`,
        risk: 'A node with a public address depends on its security groups alone: any rule that is too wide, now or later, exposes the kubelet, NodePorts and host ports to the internet.',
        recommendation: 'Run nodes in private subnets with a NAT gateway for egress, and stop node subnets and launch templates from assigning public IPs.',
        evidence,
        paths: paths.slice(0, 20).map(evidencePath),
        fixes: [
          {
            type: 'aws-network',
            action: 'remove-node-public-ips',
            title: 'Stop assigning public IPs to nodes',
            rationale: 'Nodes reach the internet through a NAT gateway and receive client traffic through load balancers, so they need no public address.',
            changes: [],
            drops: ['direct internet egress of the nodes, unless their subnets route 0.0.0.0/0 to a NAT gateway', 'any service reached through the nodes’ public IPs'],
            instanceIds: [instanceId],
            subnetIds: subnets,
            ...(instance?.region ? { region: instance.region } : {}),
          },
        ],
        key: instanceId,
      });
    }
    return { findings, notModelled: context.notModelled };
  },
};

/** High when a port is reachable, medium when only the route is there, low when the public IP leads nowhere. */
function severityOf(reachable: boolean, routed: boolean): 'high' | 'medium' | 'low' {
  if (reachable) return 'high';
  return routed ? 'medium' : 'low';
}

import { AddressSet } from '../../engines/aws/index.js';
import type { Check, FindingDraft } from '../types.js';
import { exposureContext } from './exposure-context.js';

// The EKS API server endpoint accepts internet connections unless public access is off or limited to
// publicAccessCidrs. EKS defaults to public access from 0.0.0.0/0.

export const eksPublicEndpointOpen: Check = {
  meta: {
    id: 'eks-public-endpoint-open',
    title: 'EKS API endpoint open to the whole internet',
    severity: 'high',
    category: 'network-exposure',
    description: 'Reports EKS clusters whose public API server endpoint is enabled with publicAccessCidrs that include 0.0.0.0/0 or ::/0 (the EKS default).',
    reads: ['EksCluster', 'NatGateway'],
    requires: ['EksCluster'],
    references: ['https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html', 'https://docs.aws.amazon.com/securityhub/latest/userguide/eks-controls.html#eks-1'],
    limitations: ['Authentication and authorisation still guard the API; this check judges only who can reach it.'],
  },
  run({ inventory }) {
    const { network } = exposureContext(inventory);
    const findings: FindingDraft[] = [];
    for (const cluster of network.clusters) {
      if (!cluster.endpointPublicAccess) continue;
      const open = cluster.publicAccessCidrs.filter((cidr) => AddressSet.parse(cidr)?.covers(AddressSet.ALL_IPV4) || AddressSet.parse(cidr)?.covers(AddressSet.ALL_IPV6));
      if (open.length === 0) continue;
      // Without the private endpoint, nodes reach the API through their NAT gateways' public IPs, which must stay allowed.
      const natIps = cluster.endpointPrivateAccess
        ? []
        : inventory.data.natGateways.filter((gateway) => !cluster.vpcId || gateway.VpcId === cluster.vpcId).flatMap((gateway) => gateway.NatGatewayAddresses.flatMap((address) => (address.PublicIp ? [`${address.PublicIp}/32`] : [])));
      const cidrs = ['203.0.113.0/24', ...natIps];
      findings.push({
        severity: cluster.endpointPrivateAccess ? 'medium' : 'high',
        title: `EKS cluster ${cluster.name} API endpoint is open to the internet`,
        resources: [{ kind: 'EksCluster', name: cluster.name }],
        problem: `The public API server endpoint of ${cluster.name} is enabled and accepts connections from ${open.join(', ')}${cluster.publicAccessCidrs.length === 1 && open.length === 1 ? ' (the EKS default)' : ''}; the private endpoint is ${cluster.endpointPrivateAccess ? 'on' : 'off, so nodes also use the public endpoint'}.`,
        risk: 'Anyone can reach the Kubernetes API server: a leaked kubeconfig or token, or an API server vulnerability, is usable from anywhere.',
        recommendation: `Limit publicAccessCidrs to the addresses of administrators and CI runners, or turn the public endpoint off and use the private one over a VPN${natIps.length > 0 ? `; keep the NAT gateways' public IPs (${natIps.join(', ')}) in the list while nodes use the public endpoint` : ''}.`,
        evidence: [{ fact: `resourcesVpcConfig: endpointPublicAccess ${cluster.endpointPublicAccess}, endpointPrivateAccess ${cluster.endpointPrivateAccess}, publicAccessCidrs ${cluster.publicAccessCidrs.join(', ')}.`, source: cluster.source }],
        fixes: [
          {
            type: 'aws-network',
            action: 'restrict-eks-endpoint',
            title: `Limit the public endpoint of ${cluster.name} to known CIDRs and turn the private endpoint on`,
            rationale: 'Nodes and pods then reach the API privately, and only the listed networks reach it from the internet.',
            changes: [],
            drops: ['kubectl, CI and other API clients outside the listed CIDRs; 203.0.113.0/24 is a documentation range that stands for your administrators’ CIDRs'],
            clusterName: cluster.name,
            publicAccessCidrs: cidrs,
            enablePrivateAccess: true,
            ...(cluster.region ? { region: cluster.region } : {}),
          },
        ],
        key: cluster.name,
      });
    }
    return { findings };
  },
};

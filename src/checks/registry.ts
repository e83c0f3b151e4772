import { workloadMissingResources } from './stability/workload-missing-resources.js';
import { workloadOomKilled } from './stability/workload-oom-killed.js';
import { workloadProbeFailures } from './stability/workload-probe-failures.js';
import { workloadRestarts } from './stability/workload-restarts.js';
import { datastoreNamespaceInternetEgress } from './network-segmentation/datastore-namespace-internet-egress.js';
import { datastoreReachableBeyondClients } from './network-segmentation/datastore-reachable-beyond-clients.js';
import { namespaceWithoutDefaultDeny } from './network-segmentation/namespace-without-default-deny.js';
import { podEgressToInstanceMetadata } from './network-segmentation/pod-egress-to-instance-metadata.js';
import { policyPeerAdmitsAll } from './network-segmentation/policy-peer-admits-all.js';
import { policyPeersOrInsteadOfAnd } from './network-segmentation/policy-peers-or-instead-of-and.js';
import { policyRuleNeverMatches } from './network-segmentation/policy-rule-never-matches.js';
import { policySelectsNoPods } from './network-segmentation/policy-selects-no-pods.js';
import { eksClusterSgTooWide } from './network-exposure/eks-cluster-sg-too-wide.js';
import { eksPublicEndpointOpen } from './network-exposure/eks-public-endpoint-open.js';
import { naclAllowsAll } from './network-exposure/nacl-allows-all.js';
import { nodeImdsReachableFromPods } from './network-exposure/node-imds-reachable-from-pods.js';
import { nodePublicIp } from './network-exposure/node-public-ip.js';
import { sgAdminPortOpen } from './network-exposure/sg-admin-port-open.js';
import { sgIngressFromInternet } from './network-exposure/sg-ingress-from-internet.js';
import type { Check } from './types.js';

// Every check Rampart runs, in report order. A new check is one file under its area's folder plus one
// line here; the metadata schema test covers it automatically.
export const CHECKS: Check[] = [
  workloadRestarts,
  workloadOomKilled,
  workloadProbeFailures,
  workloadMissingResources,
  datastoreReachableBeyondClients,
  namespaceWithoutDefaultDeny,
  policyPeerAdmitsAll,
  policyPeersOrInsteadOfAnd,
  podEgressToInstanceMetadata,
  datastoreNamespaceInternetEgress,
  policySelectsNoPods,
  policyRuleNeverMatches,
  sgIngressFromInternet,
  sgAdminPortOpen,
  naclAllowsAll,
  eksPublicEndpointOpen,
  eksClusterSgTooWide,
  nodeImdsReachableFromPods,
  nodePublicIp,
];

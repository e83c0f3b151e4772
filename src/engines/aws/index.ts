// The AWS exposure engine: pure functions of an inventory. Checks, remediation and the CLI import from
// here; the modules behind it are free to change.

export { AddressSet, PUBLIC_INTERNET, canonicalCidr, describeSources, familyOf, isWholeFamily, parseCidr } from './addresses.js';
export { applyChanges, describeRuleSpec, describeVerification, permissionOf, verifyChanges } from './changes.js';
export type { FlowChange, NaclEntrySpec, NetworkChange, SecurityGroupRuleSpec, Verification, VerifyOptions } from './changes.js';
export { computeExposure, describePath, directPaths, internetExposure, loadBalancerPaths, targetRef } from './exposure.js';
export type { ExposureOptions, ExposurePath, ExposureResult } from './exposure.js';
export { explain, parseProtocolOption, parseTarget, resolveTarget, selectPaths, withPort } from './explain.js';
export type { ExplainQuery, ExplainResult, ExplainRoute, PathFilter, ResolvedTarget, TargetSpec } from './explain.js';
export { clusterNetworking, evaluateFlow, neededFlows, representativeNodes } from './flows.js';
export type { FlowKind, FlowOutcome, NeededFlow } from './flows.js';
export { nodePortsOf, ruleOwner, serviceRef } from './kubernetes.js';
export type { RuleOwner, ServiceInfo } from './kubernetes.js';
export { evaluateLeg } from './legs.js';
export type { Endpoint, Hop, LegResult } from './legs.js';
export { evaluateLoadBalancerRoute } from './lb-routes.js';
export type { LoadBalancerInfo, TargetGroupInfo } from './load-balancers.js';
export { allowsEverything, evaluateNacl } from './nacl.js';
export type { CompiledNacl } from './nacl.js';
export { naiveProposals, proposeTierNacls } from './nacl-proposal.js';
export type { NaiveProposal, TierProposal } from './nacl-proposal.js';
export { buildNetwork, groupsOf, networkOf, vpcAddresses } from './network.js';
export type { AwsNetwork, ClusterInfo, Eni, SubnetInfo } from './network.js';
export { admit, describeRule } from './security-groups.js';
export type { CompiledSecurityGroup, SecurityGroupRule } from './security-groups.js';
export { SourceError, eniEndpoint, internetEndpoint, resolveSources } from './sources.js';
export { describeTraffic, protocolLabel, protocolParameter } from './traffic.js';

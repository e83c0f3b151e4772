// Fix intents for pod reachability findings (Kubernetes NetworkPolicies and Calico policies), rendered by
// remediation/network-policy.ts.

/** Placeholder until the pod reachability checks declare their fixes. */
export interface NetworkPolicyFix {
  type: 'network-policy';
}

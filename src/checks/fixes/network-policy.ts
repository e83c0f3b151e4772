// Fix intents for pod reachability findings (Kubernetes NetworkPolicies and Calico policies), rendered by
// remediation/network-policy.ts.

/** A workload by kind, namespace and name, with the labels that select its pods. */
export interface PolicyWorkload {
  kind: string;
  namespace: string;
  name: string;
  /** Labels every pod of the workload carries, for a podSelector (controller-set labels left out). */
  podLabels: Record<string, string>;
}

export interface PolicyClient extends PolicyWorkload {
  /** Why this workload is a client, each a sentence (env references, Helm release). */
  evidence: string[];
}

/**
 * Restrict ingress to one workload to its legitimate clients on the ports they need. The renderer writes a
 * NetworkPolicy that admits exactly `clients` on `ports`, replaces `replaces` (existing policies whose
 * rules admit other sources to the target), adds a Calico policy when Calico enforces policy, and
 * separately the namespace default deny with the DNS egress the namespace then needs. It verifies the
 * result by re-running the reachability engine with the change applied.
 */
export interface NetworkPolicyFix {
  type: 'network-policy';
  target: PolicyWorkload;
  ports: Array<{ port: number; protocol: 'TCP' | 'UDP' | 'SCTP'; name?: string }>;
  clients: PolicyClient[];
  /** Workloads related to the target (same Helm release, part-of) that no reference names and that are not admitted. */
  notAdmitted: Array<{ kind: string; namespace: string; name: string; reason: string }>;
  /** Existing policies in the target's namespace that admit other sources to the target, to delete when applying (never for a template). */
  replaces: Array<{ kind: 'NetworkPolicy'; namespace: string; name: string }>;
  /**
   * How the clients were found: `references` (env values), `policies` (existing policy rules name them),
   * `relations`, or `none`. With `none` the policy is a template that admits nobody, and `replaces` is ignored.
   */
  basis: 'references' | 'policies' | 'relations' | 'none';
  /** Whether the namespace lacks a default deny (ingress, egress) that the fix should add. */
  namespaceDefaultDeny: { ingress: boolean; egress: boolean };
  /** Whether Calico enforces policy, so that a Calico policy is rendered too. */
  calico: boolean;
  /** Why these clients and ports, in one sentence. */
  rationale: string;
}

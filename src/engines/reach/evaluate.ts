import type { EndpointClass } from './endpoints.js';
import { ConnSet } from './ports.js';
import { comparePolicies, type CompiledPolicy, type CompiledRule, type Direction, type Peer } from './policy.js';

// Evaluation of one direction (the destination's ingress or the source's egress) for one local endpoint
// class and one remote peer, as Calico evaluates policy, which also gives Kubernetes semantics:
// - Tiers are evaluated in order. A tier with no policy selecting the endpoint is skipped.
// - Within a tier, policies in order, rules in order: the first rule that matches a connection decides it
//   (Allow, Deny, or Pass to the next tier); Log does not decide.
// - A connection no rule of a selecting tier decides is denied at the end of the tier.
// - A connection that passes every tier, or meets no selecting tier, reaches the namespace profile, which
//   for Kubernetes pods allows everything.

export interface Tier {
  name: string;
  /** Calico tier order; undefined sorts last. */
  order?: number;
}

/** The policies that apply to one class in one direction, grouped by tier in evaluation order. */
export type AppliedTiers = Array<{ tier: string; policies: CompiledPolicy[] }>;

export function groupByTier(policies: CompiledPolicy[], tierOrder: (tier: string) => number): AppliedTiers {
  const byTier = new Map<string, CompiledPolicy[]>();
  for (const policy of policies) {
    const list = byTier.get(policy.tier);
    if (list) list.push(policy);
    else byTier.set(policy.tier, [policy]);
  }
  return [...byTier.entries()]
    .sort(([a], [b]) => tierOrder(a) - tierOrder(b) || (a < b ? -1 : a > b ? 1 : 0))
    .map(([tier, list]) => ({ tier, policies: list.sort(comparePolicies) }));
}

/** The connections allowed in one direction between the local class and the remote peer. */
export function evaluateDirection(tiers: AppliedTiers, direction: Direction, local: EndpointClass, remote: Peer): ConnSet {
  if (tiers.length === 0) return ConnSet.ALL;
  let pending = ConnSet.ALL;
  let allowed = ConnSet.NONE;
  for (const { policies } of tiers) {
    let decided = ConnSet.NONE;
    let tierAllowed = ConnSet.NONE;
    let passed = ConnSet.NONE;
    for (const policy of policies) {
      for (const rule of policy.rules[direction]) {
        if (rule.action === 'Log' || !rule.matches(local, remote)) continue;
        const covered = rule.connections(local, remote);
        if (covered.isEmpty()) continue;
        const fresh = covered.subtract(decided);
        if (fresh.isEmpty()) continue;
        decided = decided.union(fresh);
        if (rule.action === 'Allow') tierAllowed = tierAllowed.union(fresh);
        else if (rule.action === 'Pass') passed = passed.union(fresh);
        if (decided.isAll()) break;
      }
      if (decided.isAll()) break;
    }
    allowed = allowed.union(pending.intersect(tierAllowed));
    pending = pending.intersect(passed);
    if (pending.isEmpty()) break;
  }
  return allowed.union(pending);
}

/** How one direction decided one connection. */
export type DirectionDecision =
  | { kind: 'no-policy'; allowed: true }
  | { kind: 'rule'; allowed: boolean; tier: string; policy: CompiledPolicy; rule: CompiledRule; passedTiers: string[] }
  | { kind: 'end-of-tier'; allowed: false; tier: string; policies: CompiledPolicy[]; passedTiers: string[] }
  | { kind: 'passed-to-profile'; allowed: true; passedTiers: string[] };

/** Finds the rule (or default) that decides one connection, walking the same order as evaluateDirection. */
export function explainDirection(tiers: AppliedTiers, direction: Direction, local: EndpointClass, remote: Peer, protocol: number, port: number): DirectionDecision {
  if (tiers.length === 0) return { kind: 'no-policy', allowed: true };
  const passedTiers: string[] = [];
  for (const { tier, policies } of tiers) {
    let decision: DirectionDecision | undefined;
    let passed = false;
    for (const policy of policies) {
      for (const rule of policy.rules[direction]) {
        if (rule.action === 'Log' || !rule.matches(local, remote)) continue;
        if (!rule.connections(local, remote).has(protocol, port)) continue;
        if (rule.action === 'Pass') passed = true;
        else decision = { kind: 'rule', allowed: rule.action === 'Allow', tier, policy, rule, passedTiers: [...passedTiers] };
        break;
      }
      if (decision || passed) break;
    }
    if (decision) return decision;
    if (!passed) return { kind: 'end-of-tier', allowed: false, tier, policies, passedTiers: [...passedTiers] };
    passedTiers.push(tier);
  }
  return { kind: 'passed-to-profile', allowed: true, passedTiers };
}

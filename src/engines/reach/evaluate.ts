import type { EndpointClass } from './endpoints.js';
import { ConnSet } from './ports.js';
import { comparePolicies, type CompiledPolicy, type CompiledRule, type Direction, type Peer } from './policy.js';
import type { CompiledProfile } from './profiles.js';
import type { CalicoTiers, TierDefaultAction } from './tiers.js';

// Evaluation of one direction (the destination's ingress or the source's egress) for one local endpoint
// class and one remote peer, as Calico evaluates policy, which also gives Kubernetes semantics:
// - Tiers are evaluated in order (see tiers.ts). A tier with no policy selecting the endpoint is skipped.
// - Within a tier, policies in order, rules in order: the first rule that matches a connection decides it
//   (Allow, Deny, or Pass to the next tier); Log does not decide.
// - A connection no rule of a selecting tier decides meets the tier's defaultAction: Deny drops it at the
//   end of the tier, Pass hands it to the next tier.
// - A connection that passes every tier, or meets no selecting tier, reaches the endpoint's profiles (see
//   profiles.ts). Without profiles to evaluate (`profiles` undefined), it meets the kns profile that Calico
//   generates for Kubernetes pods, which allows everything.

/**
 * The policies that apply to one class in one direction, grouped by tier in evaluation order. `allowOnly`
 * records, per direction, whether every rule of the tier's policies is an Allow (Kubernetes policies are).
 */
export type AppliedTiers = Array<{ tier: string; policies: CompiledPolicy[]; allowOnly: Record<Direction, boolean>; defaultAction: TierDefaultAction }>;

export function groupByTier(policies: CompiledPolicy[], tiers: CalicoTiers): AppliedTiers {
  const byTier = new Map<string, CompiledPolicy[]>();
  for (const policy of policies) {
    const list = byTier.get(policy.tier);
    if (list) list.push(policy);
    else byTier.set(policy.tier, [policy]);
  }
  return [...byTier.entries()]
    .sort(([a], [b]) => tiers.compare(a, b))
    .map(([tier, list]) => ({
      tier,
      policies: list.sort(comparePolicies),
      allowOnly: { ingress: list.every((policy) => policy.rules.ingress.every((rule) => rule.action === 'Allow')), egress: list.every((policy) => policy.rules.egress.every((rule) => rule.action === 'Allow')) },
      defaultAction: tiers.facts(tier).defaultAction,
    }));
}

/** The connections allowed in one direction between the local class and the remote peer. */
export function evaluateDirection(tiers: AppliedTiers, direction: Direction, local: EndpointClass, remote: Peer, profiles?: CompiledProfile[]): ConnSet {
  if (tiers.length === 0) return profiles ? evaluateProfiles(profiles, direction, local, remote, ConnSet.ALL) : ConnSet.ALL;
  let pending = ConnSet.ALL;
  let allowed = ConnSet.NONE;
  for (const { policies, allowOnly, defaultAction } of tiers) {
    if (allowOnly[direction]) {
      // With Allow rules only, the first match of each connection is an Allow, so the tier allows the union
      // of what its matching rules cover, and its defaultAction decides the rest.
      const covered = allowedByAll(policies, direction, local, remote);
      allowed = allowed.union(pending.intersect(covered));
      pending = defaultAction === 'Pass' ? pending.subtract(covered) : ConnSet.NONE;
      if (pending.isEmpty()) break;
      continue;
    }
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
    // Pass rules hand on what they match; a defaultAction of Pass also hands on what no rule decided.
    pending = defaultAction === 'Pass' ? pending.subtract(decided.subtract(passed)) : pending.intersect(passed);
    if (pending.isEmpty()) break;
  }
  if (!profiles || pending.isEmpty()) return allowed.union(pending);
  return allowed.union(evaluateProfiles(profiles, direction, local, remote, pending));
}

function allowedByAll(policies: CompiledPolicy[], direction: Direction, local: EndpointClass, remote: Peer): ConnSet {
  let result = ConnSet.NONE;
  for (const policy of policies) {
    for (const rule of policy.rules[direction]) {
      if (!rule.matches(local, remote)) continue;
      result = result.union(rule.connections(local, remote));
      if (result.isAll()) return result;
    }
  }
  return result;
}

/** Returns the part of `pending` that the profiles accept. Calico drops the rest at the end of the profiles. */
function evaluateProfiles(profiles: CompiledProfile[], direction: Direction, local: EndpointClass, remote: Peer, pending: ConnSet): ConnSet {
  let allowed = ConnSet.NONE;
  let remaining = pending;
  for (const profile of profiles) {
    let decided = ConnSet.NONE;
    let accepted = ConnSet.NONE;
    let dropped = ConnSet.NONE;
    for (const rule of profile.rules[direction]) {
      if (rule.action === 'Log' || !rule.matches(local, remote)) continue;
      const fresh = rule.connections(local, remote).subtract(decided);
      if (fresh.isEmpty()) continue;
      decided = decided.union(fresh);
      if (rule.action === 'Allow') accepted = accepted.union(fresh);
      else if (rule.action === 'Deny') dropped = dropped.union(fresh);
      if (decided.isAll()) break;
    }
    // What this profile passes or leaves unmatched goes on to the next profile.
    allowed = allowed.union(remaining.intersect(accepted));
    remaining = remaining.subtract(accepted).subtract(dropped);
    if (remaining.isEmpty()) break;
  }
  return allowed;
}

/**
 * A tier that handed a connection on: by a Pass rule, or, when no rule of its policies decided it, by its
 * defaultAction Pass.
 */
export interface TierPass {
  tier: string;
  by: 'rule' | 'default-action';
  /** The policy and rule that passed the connection on, when `by` is `rule`. */
  policy?: CompiledPolicy;
  rule?: CompiledRule;
}

/**
 * The step that decided one connection in one direction. `no-policy` and `passed-to-profile` mean the kns profile that
 * Calico generates allowed it, and the profile kinds name the profile that decided. `end-of-tier` is the
 * tier's defaultAction Deny. `selected` is true when some policy selected the endpoint before the profiles
 * decided.
 */
export type DirectionDecision =
  | { kind: 'no-policy'; allowed: true }
  | { kind: 'rule'; allowed: boolean; tier: string; policy: CompiledPolicy; rule: CompiledRule; passedTiers: TierPass[] }
  | { kind: 'end-of-tier'; allowed: false; tier: string; action: 'Deny'; policies: CompiledPolicy[]; passedTiers: TierPass[] }
  | { kind: 'passed-to-profile'; allowed: true; passedTiers: TierPass[] }
  | { kind: 'profile-rule'; allowed: boolean; profile: CompiledProfile; rule: CompiledRule; passedTiers: TierPass[]; selected: boolean }
  | { kind: 'end-of-profiles'; allowed: false; profiles: CompiledProfile[]; passedTiers: TierPass[]; selected: boolean };

/** Finds the rule (or default) that decides one connection, walking the same order as evaluateDirection. */
export function explainDirection(tiers: AppliedTiers, direction: Direction, local: EndpointClass, remote: Peer, protocol: number, port: number, profiles?: CompiledProfile[]): DirectionDecision {
  if (tiers.length === 0) {
    if (!profiles) return { kind: 'no-policy', allowed: true };
    return explainProfiles(profiles, direction, local, remote, protocol, port, [], false);
  }
  const passedTiers: TierPass[] = [];
  for (const { tier, policies, defaultAction } of tiers) {
    let decision: DirectionDecision | undefined;
    let passedBy: TierPass | undefined;
    for (const policy of policies) {
      for (const rule of policy.rules[direction]) {
        if (rule.action === 'Log' || !rule.matches(local, remote)) continue;
        if (!rule.connections(local, remote).has(protocol, port)) continue;
        if (rule.action === 'Pass') passedBy = { tier, by: 'rule', policy, rule };
        else decision = { kind: 'rule', allowed: rule.action === 'Allow', tier, policy, rule, passedTiers: [...passedTiers] };
        break;
      }
      if (decision || passedBy) break;
    }
    if (decision) return decision;
    if (passedBy) passedTiers.push(passedBy);
    else if (defaultAction === 'Pass') passedTiers.push({ tier, by: 'default-action' });
    else return { kind: 'end-of-tier', allowed: false, tier, action: 'Deny', policies, passedTiers: [...passedTiers] };
  }
  if (profiles) return explainProfiles(profiles, direction, local, remote, protocol, port, passedTiers, true);
  return { kind: 'passed-to-profile', allowed: true, passedTiers };
}

function explainProfiles(profiles: CompiledProfile[], direction: Direction, local: EndpointClass, remote: Peer, protocol: number, port: number, passedTiers: TierPass[], selected: boolean): DirectionDecision {
  for (const profile of profiles) {
    for (const rule of profile.rules[direction]) {
      if (rule.action === 'Log' || !rule.matches(local, remote)) continue;
      if (!rule.connections(local, remote).has(protocol, port)) continue;
      if (rule.action === 'Pass') break;
      return { kind: 'profile-rule', allowed: rule.action === 'Allow', profile, rule, passedTiers, selected };
    }
  }
  return { kind: 'end-of-profiles', allowed: false, profiles, passedTiers, selected };
}

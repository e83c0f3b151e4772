import type { SourceRef } from '../../inventory/source.js';
import { formatAddress, formatRange } from './addresses.js';
import type { DirectionDecision, TierPass } from './evaluate.js';
import type { LayerDecision, LayerObjectRef } from './layer.js';
import { isNodeLocal, type Endpoint, type ReachModel } from './model.js';
import { protocolName } from './ports.js';
import { policyLabel, type CompiledPolicy, type Direction, type Peer, type PolicyRef } from './policy.js';
import { NAMESPACE_PROFILE_PREFIX, type CompiledProfile } from './profiles.js';
import { compareText } from '../../compare.js';

// The answer to "may this source open this connection to this destination?", with the policy and rule
// that decided each side, in data and in sentences.

export interface PolicyMention {
  kind: PolicyRef['kind'];
  namespace?: string;
  name: string;
  tier: string;
  source: SourceRef;
}

/** A Calico Profile that decided a connection. */
export interface ProfileMention {
  name: string;
  /** True for a profile that Calico generates and the snapshot lacks, which has no `source`. */
  generated: boolean;
  /** Location of the Profile in the snapshot, absent for a profile that Calico generates and the snapshot lacks. */
  source?: SourceRef;
}

/** A tier that passed the connection on, with the policy rule whose Pass action did it, or by its defaultAction Pass. */
export interface PassMention {
  tier: string;
  by: 'rule' | 'default-action';
  policy?: PolicyMention;
  /** One-based rule number within the policy's ingress or egress list. */
  rule?: number;
  ruleSummary?: string;
}

export interface SideVerdict {
  direction: Direction;
  allowed: boolean;
  /**
   * The deciding step: a policy rule, the end of a tier, no selecting policy, a profile rule, the end of
   * the profiles, or a rule of the platform.
   */
  decidedBy: 'rule' | 'end-of-tier' | 'no-policy' | 'passed-to-profile' | 'profile-rule' | 'end-of-profiles' | 'outside-pods' | 'host-network' | 'node-local';
  policy?: PolicyMention;
  /**
   * The profile whose rule decided (`profile-rule`), or the kns profile Calico generates when it allows what no
   * policy selects or every tier passed on (`no-policy` under Calico, `passed-to-profile`).
   */
  profile?: ProfileMention;
  /** The endpoint's profiles, none of whose rules accepted the connection (`end-of-profiles`). */
  profiles?: ProfileMention[];
  /** One-based rule number within the policy's or profile's ingress or egress list. */
  rule?: number;
  ruleSummary?: string;
  /** The action that decided: the rule's, or the tier's defaultAction (`Deny`) at the end of a tier. */
  action?: string;
  /** The tier whose end decided (`end-of-tier`). */
  tier?: string;
  /** The tiers that passed the connection on before the deciding step, in order, each with its Pass rule or its defaultAction. */
  passedBy?: PassMention[];
  /** Policies that select the endpoint for this direction (when the end of a tier decided). */
  selectingPolicies?: PolicyMention[];
  sentence: string;
}

/** The Istio or Ingress layer's decision, when the snapshot has that layer and it applies to the connection. */
export interface LayerVerdict {
  layer: 'istio' | 'ingress';
  allowed: boolean;
  decidedBy: LayerDecision['decidedBy'];
  /** The AuthorizationPolicy or Ingress whose rule or route decided. */
  object?: LayerMention;
  /** One-based rule number within the AuthorizationPolicy. */
  rule?: number;
  /** The objects that select the end when none of their rules or routes matches. */
  selecting?: LayerMention[];
  sentence: string;
}

export interface LayerMention {
  kind: LayerObjectRef['kind'];
  namespace: string;
  name: string;
  source: SourceRef;
}

export interface ReachVerdict {
  allowed: boolean;
  source: string;
  destination: string;
  protocol: string;
  port: number;
  egress: SideVerdict;
  ingress: SideVerdict;
  /** The Istio and Ingress layers' decisions; empty when the snapshot has no AuthorizationPolicy or Ingress. */
  layers: LayerVerdict[];
  assumptions: string[];
  notModelled: string[];
  explanation: string;
}

export function describeEndpoint(endpoint: Endpoint): string {
  if (endpoint.kind === 'external') return endpoint.range.from === endpoint.range.to ? formatAddress(endpoint.range.family, endpoint.range.from) : formatRange(endpoint.range);
  const synthesised = endpoint.pod.synthesised ? ` (synthesised from ${endpoint.pod.pod.synthesisedFrom})` : '';
  return `${endpoint.pod.namespace}/${endpoint.pod.name}${synthesised}`;
}

/** Explains one connection (protocol and destination port) from the source to the destination. */
export function explainConnection(model: ReachModel, source: Endpoint, destination: Endpoint, protocol: number, port: number): ReachVerdict {
  const consulted: Array<CompiledPolicy | CompiledProfile> = [];
  const egress = egressSide(model, source, destination, protocol, port, consulted);
  const ingress = ingressSide(model, source, destination, protocol, port, consulted);
  const decisions = model.explainLayers(source, destination, protocol, port);
  const layers = decisions.map(layerVerdict);
  const allowed = egress.allowed && ingress.allowed && layers.every((layer) => layer.allowed);
  const connection = `${protocolName(protocol)} ${port}`;
  const head = `${describeEndpoint(source)} → ${describeEndpoint(destination)} on ${connection}: ${allowed ? 'allowed' : 'denied'}.`;
  const notices = [...consulted.flatMap((owner) => owner.notModelled), ...decisions.flatMap((decision) => decision.notModelled), ...snapshotNotices(model)];
  const notModelled = [...new Set(notices)].sort(compareText);
  const assumptions = model.assumptions;
  const layerLines = layers.map((layer) => `${layer.layer === 'istio' ? 'Istio' : 'Ingress routes'}: ${layer.sentence}`);
  const explanation = [head, `Egress: ${egress.sentence}`, `Ingress: ${ingress.sentence}`, ...layerLines, ...assumptions.map((text) => `Assumption: ${text}.`), ...notModelled.map((text) => `Not modelled: ${text}.`)].join('\n');
  return {
    allowed,
    source: describeEndpoint(source),
    destination: describeEndpoint(destination),
    protocol: protocolName(protocol),
    port,
    egress,
    ingress,
    layers,
    assumptions,
    notModelled,
    explanation,
  };
}

function egressSide(model: ReachModel, source: Endpoint, destination: Endpoint, protocol: number, port: number, consulted: Array<CompiledPolicy | CompiledProfile>): SideVerdict {
  if (source.kind === 'external') {
    return { direction: 'egress', allowed: true, decidedBy: 'outside-pods', sentence: 'the source is outside the pods, so no egress policy applies to it.' };
  }
  const cls = model.classOf(source.pod);
  if (cls.hostNetwork) {
    return { direction: 'egress', allowed: true, decidedBy: 'host-network', sentence: 'the source uses the host network, so no pod policy selects it.' };
  }
  const remote: Peer = destination.kind === 'pod' ? { kind: 'class', cls: model.classOf(destination.pod) } : destination;
  const decision = model.explainEgress(cls, remote, protocol, port);
  for (const tier of model.appliedTiers(cls, 'egress')) consulted.push(...tier.policies);
  consulted.push(...(model.profilesOf(cls) ?? []));
  return sideFromDecision('egress', decision, 'the source', protocol, port, { namespace: source.pod.namespace, calico: model.cni.name === 'calico' });
}

function ingressSide(model: ReachModel, source: Endpoint, destination: Endpoint, protocol: number, port: number, consulted: Array<CompiledPolicy | CompiledProfile>): SideVerdict {
  if (destination.kind === 'external') {
    return { direction: 'ingress', allowed: true, decidedBy: 'outside-pods', sentence: 'the destination is outside the pods, so no ingress policy applies to it.' };
  }
  const cls = model.classOf(destination.pod);
  if (cls.hostNetwork) {
    return { direction: 'ingress', allowed: true, decidedBy: 'host-network', sentence: 'the destination uses the host network, so no pod policy selects it.' };
  }
  if (source.kind === 'pod' && isNodeLocal(source.pod, destination.pod)) {
    return { direction: 'ingress', allowed: true, decidedBy: 'node-local', sentence: `the source runs on the destination's node (${destination.pod.nodeName}) with the host network, and traffic from a pod's own node is always allowed.` };
  }
  const remote: Peer = source.kind === 'pod' ? { kind: 'class', cls: model.classOf(source.pod) } : source;
  const decision = model.explainIngress(cls, remote, protocol, port);
  for (const tier of model.appliedTiers(cls, 'ingress')) consulted.push(...tier.policies);
  consulted.push(...(model.profilesOf(cls) ?? []));
  return sideFromDecision('ingress', decision, 'the destination', protocol, port, { namespace: destination.pod.namespace, calico: model.cni.name === 'calico' });
}

/**
 * Turns a direction's decision into data and a sentence. `local` is the endpoint's namespace, and whether
 * Calico enforces policy, so that the kns profile Calico generates is named where it decides.
 */
function sideFromDecision(direction: Direction, decision: DirectionDecision, subject: string, protocol: number, port: number, local: { namespace: string; calico: boolean }): SideVerdict {
  const connection = `${protocolName(protocol)} ${port}`;
  const passes = 'passedTiers' in decision ? passesOf(decision.passedTiers, direction) : [];
  const passedBy = passes.length > 0 ? { passedBy: passes.map((pass) => pass.mention) } : {};
  const passed = passes.length > 0 ? ` after ${describePasses(passes)} passed it on` : '';
  switch (decision.kind) {
    case 'no-policy': {
      const unselected = `no policy selects ${subject}${direction === 'egress' ? ' for egress' : ''}`;
      if (!local.calico) return { direction, allowed: true, decidedBy: 'no-policy', sentence: `${unselected}, so it is allowed.` };
      const profile = generatedProfile(local.namespace);
      return { direction, allowed: true, decidedBy: 'no-policy', profile, sentence: `${unselected}, so its profiles decide; allowed by Calico Profile ${profile.name}, which Calico generates and the snapshot does not hold.` };
    }
    case 'rule': {
      const rule = decision.rule;
      const verb = rule.action === 'Allow' ? 'allowed' : 'denied';
      return {
        direction,
        allowed: decision.allowed,
        decidedBy: 'rule',
        policy: mention(decision.policy),
        rule: rule.index + 1,
        ruleSummary: rule.summary,
        action: rule.action,
        ...passedBy,
        sentence: `${verb} by ${policyLabel(decision.policy.ref)} ${direction} rule ${rule.index + 1} (${rule.summary})${passed}.`,
      };
    }
    case 'end-of-tier': {
      const names = decision.policies.map((policy) => policyLabel(policy.ref)).join(', ');
      return {
        direction,
        allowed: false,
        decidedBy: 'end-of-tier',
        action: decision.action,
        tier: decision.tier,
        selectingPolicies: decision.policies.map(mention),
        ...passedBy,
        sentence: `denied: ${names} select${decision.policies.length === 1 ? 's' : ''} ${subject} for ${direction} in tier ${decision.tier} and no rule of ${decision.policies.length === 1 ? 'it' : 'them'} matches ${connection}${passed}, so the tier's defaultAction ${decision.action} drops it.`,
      };
    }
    case 'passed-to-profile': {
      // Only Calico policies pass, so the generated profile is Calico's whatever CNI the snapshot shows.
      const profile = generatedProfile(local.namespace);
      return {
        direction,
        allowed: true,
        decidedBy: 'passed-to-profile',
        profile,
        ...passedBy,
        sentence: `${describePasses(passes)} ${passes.length === 1 ? 'passes' : 'pass'} it on, and Calico Profile ${profile.name}, which Calico generates and the snapshot does not hold, allows it.`,
      };
    }
    case 'profile-rule': {
      const rule = decision.rule;
      const reached = profilesReached(decision, passes, subject, direction);
      const verb = rule.action === 'Allow' ? 'allowed' : 'denied';
      const generated = decision.profile.source ? '' : ', which Calico generates and the snapshot does not hold';
      return {
        direction,
        allowed: decision.allowed,
        decidedBy: 'profile-rule',
        profile: profileMention(decision.profile),
        ...passes,
        rule: rule.index + 1,
        ruleSummary: rule.summary,
        action: rule.action,
        ...passedBy,
        sentence: `${reached}; ${verb} by Calico Profile ${decision.profile.name}${generated}, ${direction} rule ${rule.index + 1} (${rule.summary}).`,
      };
    }
    case 'end-of-profiles': {
      const reached = profilesReached(decision, passes, subject, direction);
      const names = decision.profiles.map((profile) => profile.name).join(', ');
      return {
        direction,
        allowed: false,
        decidedBy: 'end-of-profiles',
        profiles: decision.profiles.map(profileMention),
        ...passedBy,
        sentence: `${reached}; denied: no rule of Calico Profiles ${names} allows ${connection}, and Calico drops what no profile allows.`,
      };
    }
  }
}

/** Says how the connection reached the profiles: no policy selected the endpoint, or tiers passed it on. */
function profilesReached(decision: { selected: boolean }, passes: PassText[], subject: string, direction: Direction): string {
  if (!decision.selected) return `no policy selects ${subject}${direction === 'egress' ? ' for egress' : ''}, so its profiles decide`;
  return `${describePasses(passes)} ${passes.length === 1 ? 'passes' : 'pass'} it on to the profiles`;
}

interface PassText {
  mention: PassMention;
  /** Such as `tier zz-first (Calico GlobalNetworkPolicy zz-first.quarantine ingress rule 2: Pass from anywhere)`. */
  text: string;
}

/** Pairs each passed tier with its Pass rule. A tier passed on without a rule (by its default action) is named alone. */
function passesOf(passes: TierPass[], direction: Direction): PassText[] {
  return passes.map((step) => {
    if (step.by === 'default-action') return { mention: { tier: step.tier, by: step.by }, text: `tier ${step.tier} (no rule matched, and its defaultAction is Pass)` };
    if (!step.policy || !step.rule) return { mention: { tier: step.tier, by: step.by }, text: `tier ${step.tier}` };
    const rule = step.rule.index + 1;
    return {
      mention: { tier: step.tier, by: step.by, policy: mention(step.policy), rule, ruleSummary: step.rule.summary },
      text: `tier ${step.tier} (${policyLabel(step.policy.ref)} ${direction} rule ${rule}: ${step.rule.summary})`,
    };
  });
}

function describePasses(passes: PassText[]): string {
  const items = passes.map((pass) => pass.text);
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function generatedProfile(namespace: string): ProfileMention {
  return { name: `${NAMESPACE_PROFILE_PREFIX}${namespace}`, generated: true };
}

const snapshotNoticeCache = new WeakMap<ReachModel, string[]>();

/**
 * Returns the model's notices that belong to no single policy or profile: those of the Istio and Ingress
 * layers, of Services that rules name, of synthesised pods and of profile labels. Any of them can bear on
 * one connection, so every verdict lists them. Notices of one policy or profile are listed only when it
 * was consulted.
 */
function snapshotNotices(model: ReachModel): string[] {
  let notices = snapshotNoticeCache.get(model);
  if (!notices) {
    const owned = new Set([...model.policies, ...model.profiles].flatMap((owner) => owner.notModelled));
    notices = model.notModelled.filter((notice) => !owned.has(notice));
    snapshotNoticeCache.set(model, notices);
  }
  return notices;
}

function profileMention(profile: CompiledProfile): ProfileMention {
  return { name: profile.name, generated: profile.source === undefined, ...(profile.source ? { source: profile.source } : {}) };
}

function mention(policy: CompiledPolicy): PolicyMention {
  return { kind: policy.ref.kind, ...(policy.ref.namespace ? { namespace: policy.ref.namespace } : {}), name: policy.ref.name, tier: policy.tier, source: policy.ref.source };
}

function layerVerdict(decision: LayerDecision): LayerVerdict {
  return {
    layer: decision.layer,
    allowed: decision.allowed,
    decidedBy: decision.decidedBy,
    ...(decision.object ? { object: layerMention(decision.object) } : {}),
    ...(decision.rule !== undefined ? { rule: decision.rule } : {}),
    ...(decision.selecting ? { selecting: decision.selecting.map(layerMention) } : {}),
    sentence: decision.sentence,
  };
}

function layerMention(ref: LayerObjectRef): LayerMention {
  return { kind: ref.kind, namespace: ref.namespace, name: ref.name, source: ref.source };
}

import type { Inventory } from '../../inventory/inventory.js';
import type * as m from '../../inventory/model.js';
import type { SourceRef } from '../../inventory/source.js';
import { compareText } from '../../compare.js';
import { compileClusterRules } from './calico-policy.js';
import type { CompileContext } from './context.js';
import type { EndpointClass } from './endpoints.js';
import { ConnSet } from './ports.js';
import type { CompiledRule, Direction } from './policy.js';

// Calico Profiles as Calico applies them to Kubernetes pods (libcalico-go's pod and namespace conversion,
// and Felix's label inheritance and endpoint chains):
// - A pod's workload endpoint lists the profiles kns.<namespace> and ksa.<namespace>.<serviceaccount>, in
//   that order.
// - On the Kubernetes datastore Calico generates both. kns.<namespace> allows all ingress and egress and
//   applies the Namespace's labels with the prefix `pcns.`, plus `pcns.projectcalico.org/name`.
//   ksa.<namespace>.<serviceaccount> has no rules and applies the ServiceAccount's labels with the prefix
//   `pcsa.`, plus `pcsa.projectcalico.org/name`. Calico matches namespaceSelector and
//   serviceAccountSelector against those prefixed labels.
// - The endpoint's own labels win over labels a profile applies, and an earlier profile's labels win over
//   a later one's.
// - Profile rules decide what passes every tier, or what no tier selects the endpoint for: profiles in
//   order, and in each the first matching rule decides. Allow accepts, Deny drops, Pass leaves the profile
//   for the next one (in the iptables and nftables dataplanes), and Log goes on. Calico drops what no
//   profile accepts.

export const NAMESPACE_PROFILE_PREFIX = 'kns.';
export const SERVICE_ACCOUNT_PROFILE_PREFIX = 'ksa.';
export const NAMESPACE_LABEL_PREFIX = 'pcns.';
export const SERVICE_ACCOUNT_LABEL_PREFIX = 'pcsa.';

export interface CompiledProfile {
  name: string;
  /** Location of the Profile in the snapshot, absent for a profile that Calico generates and the snapshot lacks. */
  source?: SourceRef;
  rules: Record<Direction, CompiledRule[]>;
  notModelled: string[];
}

/** Returns the profiles of one pod's workload endpoint, in Calico's order. */
export function profileNamesOf(namespace: string, serviceAccount: string): [string, string] {
  return [`${NAMESPACE_PROFILE_PREFIX}${namespace}`, `${SERVICE_ACCOUNT_PROFILE_PREFIX}${namespace}.${serviceAccount}`];
}

const indexes = new WeakMap<m.CalicoProfile[], Map<string, m.CalicoProfile>>();

/** Returns the snapshot's Profiles by name, built once per profile list. */
export function profileIndex(inventory: Inventory): Map<string, m.CalicoProfile> {
  const profiles = inventory.data.calicoProfiles;
  let index = indexes.get(profiles);
  if (!index) {
    index = new Map(profiles.map((profile) => [profile.metadata.name, profile]));
    indexes.set(profiles, index);
  }
  return index;
}

/**
 * Returns the labels a pod endpoint inherits from its profiles: those of the snapshot's Profile object
 * when there is one, else those Calico generates. The kns profile comes first, so its labels win.
 */
export function inheritedLabels(index: Map<string, m.CalicoProfile>, namespace: string, namespaceLabels: Record<string, string>, serviceAccount: string): Record<string, string> {
  const [namespaceProfile, serviceAccountProfile] = profileNamesOf(namespace, serviceAccount);
  const fromNamespace = labelsToApply(index.get(namespaceProfile)) ?? prefixed(NAMESPACE_LABEL_PREFIX, { ...namespaceLabels, 'projectcalico.org/name': namespace });
  const fromServiceAccount = labelsToApply(index.get(serviceAccountProfile)) ?? prefixed(SERVICE_ACCOUNT_LABEL_PREFIX, { 'projectcalico.org/name': serviceAccount });
  return { ...fromServiceAccount, ...fromNamespace };
}

/** Returns the labels with the prefix removed, for the keys that carry it. */
export function unprefixed(prefix: string, labels: Record<string, string>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) if (key.startsWith(prefix)) result[key.slice(prefix.length)] = value;
  return result;
}

/** Compiles every Profile of the snapshot, keyed by name. */
export function compileProfiles(inventory: Inventory, context: CompileContext): Map<string, CompiledProfile> {
  const compiled = new Map<string, CompiledProfile>();
  for (const profile of inventory.data.calicoProfiles) {
    const label = `Calico Profile ${profile.metadata.name}`;
    const rules: Record<Direction, CompiledRule[]> = {
      ingress: compileClusterRules('ingress', profile.spec?.ingress ?? [], label, context),
      egress: compileClusterRules('egress', profile.spec?.egress ?? [], label, context),
    };
    const notModelled = [...rules.ingress, ...rules.egress].flatMap((rule) => rule.notModelled);
    for (const rule of [...rules.ingress, ...rules.egress]) {
      if (rule.action !== 'Pass') continue;
      // NOTE: the eBPF dataplane treats Pass in a profile as Deny, but the engine follows iptables and nftables.
      notModelled.push(`${label} ${rule.direction} rule ${rule.index + 1} has action Pass, which leaves the profile for the endpoint's next profile in Calico's iptables and nftables dataplanes (as evaluated here) but denies in its eBPF dataplane`);
    }
    compiled.set(profile.metadata.name, { name: profile.metadata.name, source: profile.source, rules, notModelled });
  }
  return compiled;
}

/** Returns the compiled profiles Calico gives pods of these namespaces. Namespace names hold no dot. */
export function profilesOfNamespaces(profiles: Map<string, CompiledProfile>, namespaces: string[]): CompiledProfile[] {
  const known = new Set(namespaces);
  return [...profiles.values()].filter((profile) => {
    if (profile.name.startsWith(NAMESPACE_PROFILE_PREFIX)) return known.has(profile.name.slice(NAMESPACE_PROFILE_PREFIX.length));
    if (profile.name.startsWith(SERVICE_ACCOUNT_PROFILE_PREFIX)) return known.has(profile.name.slice(SERVICE_ACCOUNT_PROFILE_PREFIX.length).split('.')[0] ?? '');
    return false;
  });
}

/**
 * Lists each class's profiles: the snapshot's Profile where there is one, else the one Calico generates.
 * A class none of whose profiles the snapshot contains gets undefined, which evaluates as the generated
 * kns profile (allow everything) without walking its rules.
 */
export function chainProfiles(classes: EndpointClass[], compiled: Map<string, CompiledProfile>): Array<CompiledProfile[] | undefined> {
  if (compiled.size === 0) return [];
  return classes.map((cls) => {
    const chain = cls.profiles.map((name) => compiled.get(name));
    if (chain.every((profile) => profile === undefined)) return undefined;
    const [namespaceProfile, serviceAccountProfile] = chain;
    return [namespaceProfile ?? generatedNamespaceProfile(cls.namespace), serviceAccountProfile ?? generatedServiceAccountProfile(cls.namespace, cls.serviceAccount)];
  });
}

/**
 * Lists what the profiles that pods use do not model. When the CNI is not Calico, Kubernetes
 * NetworkPolicies see only the pods' own labels, so the labels those profiles apply are listed too.
 */
export function profileNotices(inventory: Inventory, chains: Array<CompiledProfile[] | undefined>, kubernetesSelectorsSeeCalicoLabels: boolean): string[] {
  const used = new Set<CompiledProfile>();
  for (const chain of chains) for (const profile of chain ?? []) used.add(profile);
  const notices = [...used].flatMap((profile) => profile.notModelled);
  if (kubernetesSelectorsSeeCalicoLabels || inventory.data.networkPolicies.length === 0) return notices;

  const index = profileIndex(inventory);
  const labelling = [...used]
    .map((profile) => ({ name: profile.name, keys: Object.keys(index.get(profile.name)?.spec?.labelsToApply ?? {}).filter((key) => !key.startsWith(NAMESPACE_LABEL_PREFIX) && !key.startsWith(SERVICE_ACCOUNT_LABEL_PREFIX)) }))
    .filter((entry) => entry.keys.length > 0)
    .sort((a, b) => compareText(a.name, b.name));
  if (labelling.length === 0) return notices;
  const list = labelling.map((entry) => `${entry.name} (${entry.keys.sort(compareText).join(', ')})`).join(', ');
  return [...notices, `Calico Profiles ${list} apply labels that Calico matches Kubernetes NetworkPolicy pod selectors against where it enforces them; the CNI found is not Calico, so Kubernetes NetworkPolicies are evaluated on the pods' own labels`];
}

/** Builds the kns profile Calico generates for a namespace: one rule per direction that allows everything. */
export function generatedNamespaceProfile(namespace: string): CompiledProfile {
  const allowAll = (direction: Direction): CompiledRule => ({
    direction,
    index: 0,
    action: 'Allow',
    matches: () => true,
    connections: () => ConnSet.ALL,
    summary: `Allow ${direction === 'ingress' ? 'from' : 'to'} anywhere`,
    remoteAddressSets: [],
    namesPods: true,
    notModelled: [],
  });
  return { name: `${NAMESPACE_PROFILE_PREFIX}${namespace}`, rules: { ingress: [allowAll('ingress')], egress: [allowAll('egress')] }, notModelled: [] };
}

/** Builds the ksa profile Calico generates for a service account, which has labels and no rules. */
export function generatedServiceAccountProfile(namespace: string, serviceAccount: string): CompiledProfile {
  return { name: profileNamesOf(namespace, serviceAccount)[1], rules: { ingress: [], egress: [] }, notModelled: [] };
}

/**
 * Describes the profiles pods use that a snapshot with Profiles lacks, so that verdicts state that Calico's
 * generated ones stand in for them. Returns undefined when the snapshot has no Profiles or lacks none.
 */
export function missingProfilesAssumption(index: Map<string, m.CalicoProfile>, used: Iterable<string>): string | undefined {
  if (index.size === 0) return undefined;
  const missing = [...new Set(used)].filter((name) => !index.has(name)).sort(compareText);
  if (missing.length === 0) return undefined;
  const listed = missing.slice(0, 5).join(', ');
  const more = missing.length > 5 ? ` and ${missing.length - 5} more` : '';
  return `the snapshot has Calico Profiles but not ${listed}${more}; for those, the profiles Calico generates are assumed (kns: allow all ingress and egress, with the Namespace's labels; ksa: no rules, with the service account's name)`;
}

function labelsToApply(profile: m.CalicoProfile | undefined): Record<string, string> | undefined {
  if (!profile) return undefined;
  return profile.spec?.labelsToApply ?? {};
}

function prefixed(prefix: string, labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).map(([key, value]) => [`${prefix}${key}`, value]));
}

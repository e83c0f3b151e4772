import type { Inventory } from '../../inventory/inventory.js';
import type { SourceRef } from '../../inventory/source.js';
import { compareText } from '../../compare.js';

// Calico tiers, as the Tier resource (projectcalico.org/v3, api/pkg/apis/projectcalico/v3/tier.go) and
// Felix's policy sorter (felix/calc/policy_sorter.go, TierLess) define them:
// - Tiers are evaluated by `spec.order`, smallest first. A tier without an order sorts after every tier
//   with one, and tiers of equal order sort by name.
// - A tier that policies name but that has no Tier object sorts after every tier that has one.
// - `spec.defaultAction` (Calico 3.29 and later) decides what the tier's policies select but no rule
//   decides: Deny (the default) drops it, Pass hands it to the next tier. Felix drops unless the action is
//   Pass, so an unset or older Tier denies.
// - Calico creates the built-in tiers itself, with fixed values that its CRD validation enforces:
//   kube-admin (order 1000, Pass), default (1,000,000, Deny) and kube-baseline (10,000,000, Pass).
//   Calico 3.29 and 3.30 named the admin tier adminnetworkpolicy (order 1000, Pass).

export type TierDefaultAction = 'Deny' | 'Pass';

/** The order and defaultAction of one tier, and where they come from. */
export interface TierFacts {
  name: string;
  /** The tier's order; undefined when it has none or it is not known. */
  order?: number;
  defaultAction: TierDefaultAction;
  /**
   * The source of the values. `object` is a Tier object of the snapshot, and `built-in` a tier that
   * Calico creates with fixed values. `guessed` means the snapshot has no Tier objects, so the order is
   * guessed. `no-object` means the snapshot has Tier objects but none for this tier, which Felix sorts
   * after every tier that has one.
   */
  basis: 'object' | 'built-in' | 'guessed' | 'no-object';
  source?: SourceRef;
}

const DEFAULT_TIER_ORDER = 1_000_000;

const BUILT_IN_TIERS: Record<string, { order: number; defaultAction: TierDefaultAction }> = {
  'kube-admin': { order: 1_000, defaultAction: 'Pass' },
  adminnetworkpolicy: { order: 1_000, defaultAction: 'Pass' },
  default: { order: DEFAULT_TIER_ORDER, defaultAction: 'Deny' },
  'kube-baseline': { order: 10_000_000, defaultAction: 'Pass' },
};

// A tier whose order is not known is guessed to come just before the default tier, and the assumptions
// of every verdict state it.
const GUESSED_ORDER = DEFAULT_TIER_ORDER - 1;

/** The snapshot's Calico tiers, resolved by name on first use. */
export class CalicoTiers {
  private readonly objects = new Map<string, { facts: TierFacts; invalidAction?: string }>();
  private readonly resolved = new Map<string, TierFacts>();
  /** Whether the snapshot has Tier objects (even none), so that a tier without one is known to lack it. */
  private readonly listed: boolean;

  constructor(inventory: Inventory) {
    this.listed = inventory.has('CalicoTier');
    for (const tier of inventory.data.calicoTiers) {
      const name = tier.metadata.name;
      const order = tier.spec?.order;
      const action = tier.spec?.defaultAction;
      // Felix drops at the end of a tier unless its action is Pass, so a value Calico rejects counts as Deny.
      const facts: TierFacts = { name, ...(order === undefined ? {} : { order }), defaultAction: action === 'Pass' ? 'Pass' : 'Deny', basis: 'object', source: tier.source };
      this.objects.set(name, { facts, ...(action === undefined || action === 'Deny' || action === 'Pass' ? {} : { invalidAction: action }) });
    }
  }

  /** Returns the facts of a tier, from its Tier object, Calico's built-in values, or a stated guess. */
  facts(name: string): TierFacts {
    let facts = this.resolved.get(name);
    if (facts) return facts;
    const object = this.objects.get(name);
    const builtIn = BUILT_IN_TIERS[name];
    facts = object?.facts ?? (builtIn ? { name, ...builtIn, basis: 'built-in' } : { name, defaultAction: 'Deny', basis: this.listed ? 'no-object' : 'guessed' });
    this.resolved.set(name, facts);
    return facts;
  }

  /** Orders two tiers as Felix does: tiers without a Tier object last, then by order (unset last), then by name. */
  compare(a: string, b: string): number {
    const left = this.facts(a);
    const right = this.facts(b);
    const rank = (facts: TierFacts) => (facts.basis === 'no-object' ? 1 : 0);
    if (rank(left) !== rank(right)) return rank(left) - rank(right);
    const orderA = sortOrder(left);
    const orderB = sortOrder(right);
    if (orderA !== orderB) return orderA < orderB ? -1 : 1;
    return compareText(a, b);
  }

  /** Lists what the engine does not model about these tiers: a defaultAction that Calico rejects. */
  notices(names: Iterable<string>): string[] {
    const messages: string[] = [];
    for (const name of names) {
      const invalid = this.objects.get(name)?.invalidAction;
      if (invalid === undefined) continue;
      messages.push(`Calico Tier ${name} has defaultAction ${JSON.stringify(invalid)}, which Calico accepts only as Deny or Pass; Felix denies at the end of a tier unless the action is Pass, so it is evaluated as Deny`);
    }
    return messages;
  }

  /** Describes the tiers among these whose order or defaultAction the snapshot does not give. */
  assumptions(names: Iterable<string>): string[] {
    const facts = [...new Set(names)].map((name) => this.facts(name));
    const named = (basis: TierFacts['basis']) => facts.filter((entry) => entry.basis === basis).map((entry) => entry.name).sort(compareText);
    const result: string[] = [];
    const guessed = named('guessed');
    if (guessed.length > 0) {
      result.push(
        `the snapshot has no Calico Tier objects, so the order of ${tierNames(guessed)} is not known; ${guessed.length === 1 ? 'it is' : 'they are'} evaluated in name order before the default tier, and what ${guessed.length === 1 ? 'its' : 'their'} policies select but do not decide is denied (defaultAction Deny, Calico's default)`,
      );
    }
    const missing = named('no-object');
    if (missing.length > 0) {
      result.push(
        `the snapshot has Calico Tier objects but none for ${tierNames(missing)}; as Felix does for a tier without a Tier object, ${missing.length === 1 ? 'it is' : 'they are'} evaluated after every tier that has one, in name order, and what ${missing.length === 1 ? 'its' : 'their'} policies select but do not decide is denied`,
      );
    }
    return result;
  }
}

function sortOrder(facts: TierFacts): number {
  if (facts.basis === 'guessed') return GUESSED_ORDER;
  return facts.order ?? Number.POSITIVE_INFINITY;
}

function tierNames(names: string[]): string {
  return names.length === 1 ? `tier ${names[0]}` : `tiers ${names.join(', ')}`;
}

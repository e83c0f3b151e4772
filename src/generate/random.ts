// A seeded pseudo-random generator, so that one seed and one set of counts always give byte-identical
// snapshots. The generator is mulberry32 (Tommy Ettinger's 32-bit generator, public domain): fast, a
// period of 2^32 and good enough for synthetic data. It is not for anything that needs secrecy.

/** The alphabet Kubernetes uses for generated name suffixes and pod-template-hash values (no vowels). */
const KUBERNETES_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const HEX = '0123456789abcdef';

export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /**
   * Creates an independent generator for one part of the snapshot, so that adding a field to pods does not
   * change the security groups generated after them.
   */
  fork(label: string): Random {
    return new Random(hashString(label) ^ this.peekSeed());
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with the given probability. */
  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('cannot pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Picks with the given relative weights, which must not all be zero. */
  weighted<T>(entries: ReadonlyArray<readonly [T, number]>): T {
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
    let point = this.next() * total;
    for (const [value, weight] of entries) {
      point -= weight;
      if (point < 0) return value;
    }
    return (entries[entries.length - 1] as readonly [T, number])[0];
  }

  /** `length` lowercase hex digits. */
  hex(length: number): string {
    let text = '';
    for (let i = 0; i < length; i++) text += HEX[Math.floor(this.next() * 16)];
    return text;
  }

  /** A suffix such as Kubernetes appends to generated names (`-x2k9p`) and uses for pod-template-hash. */
  kubeSuffix(length: number): string {
    let text = '';
    for (let i = 0; i < length; i++) text += KUBERNETES_SUFFIX_ALPHABET[Math.floor(this.next() * KUBERNETES_SUFFIX_ALPHABET.length)];
    return text;
  }

  /** A version 4 UUID made from this generator's output. */
  uuid(): string {
    const variant = HEX[8 + Math.floor(this.next() * 4)];
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${variant}${this.hex(3)}-${this.hex(12)}`;
  }

  /** Returns a shuffled copy (Fisher–Yates). */
  shuffled<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy;
  }

  private peekSeed(): number {
    return this.state;
  }
}

/** FNV-1a, 32 bits: a stable hash for deriving the seed of a forked generator from its label. */
function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

// Kubernetes resource quantities ("200Mi", "0.5", "250m", "1e9", "12345Ki", "1500000n") as numbers of
// base units: bytes for memory, cores for CPU. The suffixes follow the Kubernetes quantity format:
// binary Ki…Ei, decimal n u m k M G T P E, or a decimal exponent such as e6.

const SUFFIX_FACTORS: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

export const MEBIBYTE = 2 ** 20;
export const GIBIBYTE = 2 ** 30;

/** Parses a quantity into base units, or returns undefined for a value that is not a valid quantity. */
export function parseQuantity(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const match = QUANTITY.exec(value.trim());
  if (!match) return undefined;
  const number = Number(match[1]);
  if (match[2]) return number * 10 ** Number(match[2].slice(1));
  return number * (SUFFIX_FACTORS[match[3] ?? ''] ?? 1);
}

/** Rounds bytes up to a whole multiple of `step` bytes, with `step` as the minimum. */
export function roundUpBytes(bytes: number, step: number): number {
  return Math.max(step, Math.ceil(bytes / step) * step);
}

/** Formats a whole number of mebibytes as a quantity: `1Gi` when it is whole gibibytes, else `320Mi`. */
export function formatMemory(bytes: number): string {
  const mebibytes = Math.ceil(bytes / MEBIBYTE);
  if (mebibytes % 1024 === 0) return `${mebibytes / 1024}Gi`;
  return `${mebibytes}Mi`;
}

/** Formats a measured amount of memory for a sentence, in mebibytes rounded to the nearest one. */
export function describeMemory(bytes: number): string {
  return `${Math.round(bytes / MEBIBYTE)}Mi`;
}

/** Formats cores as millicores, rounded up: 0.0123 cores is `13m`. */
export function formatCpu(cores: number): string {
  return `${Math.ceil(cores * 1000 - 1e-9)}m`;
}

/** Rounds cores up to a whole multiple of `stepMillicores`, with that step as the minimum. */
export function roundUpCores(cores: number, stepMillicores: number): number {
  const millicores = Math.max(stepMillicores, Math.ceil((cores * 1000 - 1e-9) / stepMillicores) * stepMillicores);
  return millicores / 1000;
}

/**
 * Compares two strings by UTF-16 code units, which gives the same order on every machine.
 * `localeCompare` follows the locale of the process (LANG), so reports sorted with it differ between machines.
 */
export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

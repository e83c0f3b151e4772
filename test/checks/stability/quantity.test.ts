import { describe, expect, it } from 'vitest';
import { formatCpu, formatMemory, parseQuantity, roundUpBytes, roundUpCores } from '../../../src/checks/stability/quantity.js';

const MI = 2 ** 20;

describe('parseQuantity', () => {
  it.each([
    ['200Mi', 200 * MI],
    ['1Gi', 2 ** 30],
    ['409600Ki', 400 * MI],
    ['99M', 99e6],
    ['129e6', 129e6],
    ['134217728', 134217728],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['500m', 0.5],
    ['11574382n', 0.011574382],
    ['2', 2],
    ['1E', 1e18],
  ])('parses %s', (text, expected) => {
    expect(parseQuantity(text)).toBeCloseTo(expected, 9);
  });

  it('accepts numbers', () => {
    expect(parseQuantity(2)).toBe(2);
  });

  it.each(['', 'Mi', '12 Mi', '1.2.3', 'lots'])('rejects %j', (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });
});

describe('rounding and formatting', () => {
  it('rounds memory up to 64Mi steps', () => {
    expect(formatMemory(roundUpBytes(300 * MI, 64 * MI))).toBe('320Mi');
    expect(formatMemory(roundUpBytes(1, 64 * MI))).toBe('64Mi');
    expect(formatMemory(roundUpBytes(1024 * MI, 64 * MI))).toBe('1Gi');
  });

  it('rounds CPU up to 10m steps', () => {
    expect(formatCpu(roundUpCores(0.018, 10))).toBe('20m');
    expect(formatCpu(roundUpCores(0.0001, 10))).toBe('10m');
    expect(formatCpu(roundUpCores(0.02, 10))).toBe('20m');
  });
});

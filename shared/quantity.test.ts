import { describe, expect, it } from 'vitest';
import {
  compareQuantities,
  formatQuantity,
  isValidQuantity,
  parseCpuMillis,
  parseQuantity,
  parseQuantityValue,
  QUANTITY_FORMAT_MESSAGE,
  QUANTITY_SUFFIX_MESSAGE,
  quantityFormat,
} from './quantity.js';

describe('parseQuantity', () => {
  it.each([
    ['0', 0],
    ['1', 1],
    ['100m', 0.1],
    ['1500m', 1.5],
    ['0.5', 0.5],
    ['.5', 0.5],
    ['1.', 1],
    ['+2', 2],
    ['-2', -2],
    ['-100m', -0.1],
    ['5n', 5e-9],
    ['7u', 7e-6],
    ['1k', 1000],
    ['1M', 1e6],
    ['2G', 2e9],
    ['1T', 1e12],
    ['1P', 1e15],
    ['1E', 1e18],
    ['1Ki', 1024],
    ['128Mi', 128 * 2 ** 20],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['1Ti', 2 ** 40],
    ['1Pi', 2 ** 50],
    ['1Ei', 2 ** 60],
    ['1e3', 1000],
    ['1E3', 1000],
    ['1e+3', 1000],
    ['5e-3', 0.005],
    [' 2 ', 2],
    [3, 3],
    [0.25, 0.25],
  ] as const)('%j → %d', (input, want) => {
    expect(parseQuantity(input)).toBeCloseTo(want, 12);
  });

  it.each([
    ['', QUANTITY_FORMAT_MESSAGE],
    ['abc', QUANTITY_FORMAT_MESSAGE],
    ['1.5.5', QUANTITY_FORMAT_MESSAGE],
    ['1 Gi', QUANTITY_FORMAT_MESSAGE],
    ['Gi', QUANTITY_FORMAT_MESSAGE],
    ['--1', QUANTITY_FORMAT_MESSAGE],
    ['1K', QUANTITY_SUFFIX_MESSAGE],
    ['1ki', QUANTITY_SUFFIX_MESSAGE],
    ['1e', QUANTITY_SUFFIX_MESSAGE],
    ['1Mi3', QUANTITY_SUFFIX_MESSAGE],
    ['1mm', QUANTITY_SUFFIX_MESSAGE],
  ])('rejects %j', (input, message) => {
    expect(() => parseQuantity(input)).toThrow(message);
  });

  it('rejects non-finite numbers', () => {
    expect(() => parseQuantity(Number.NaN)).toThrow();
    expect(() => parseQuantity(Number.POSITIVE_INFINITY)).toThrow();
  });
});

describe('isValidQuantity', () => {
  it.each([
    ['1Gi', true],
    ['250m', true],
    [2, true],
    ['1x', false],
    ['', false],
    [null, false],
    [undefined, false],
    [{}, false],
    [[1], false],
    [true, false],
    [Number.NaN, false],
  ])('%j → %s', (v, want) => {
    expect(isValidQuantity(v)).toBe(want);
  });
});

describe('helpers', () => {
  it.each([
    ['100m', 100],
    ['0.5', 500],
    ['1', 1000],
    ['2', 2000],
    ['1.0001', 1001],
    ['1500u', 2],
    [1, 1000],
  ] as const)('parseCpuMillis(%j) = %d (rounds up)', (input, want) => {
    expect(parseCpuMillis(input)).toBe(want);
  });

  it.each([
    ['1Ki', 1024],
    ['1500m', 2],
    ['1G', 1e9],
  ])('parseQuantityValue(%j) = %d', (input, want) => {
    expect(parseQuantityValue(input)).toBe(want);
  });

  it('compares quantities across suffixes', () => {
    expect(compareQuantities('1', '1000m')).toBe(0);
    expect(compareQuantities('1Gi', '1G')).toBe(1);
    expect(compareQuantities('500m', '1')).toBe(-1);
  });

  it('reports the format family', () => {
    expect(quantityFormat('1Gi')).toBe('BinarySI');
    expect(quantityFormat('1G')).toBe('DecimalSI');
    expect(quantityFormat('1e3')).toBe('DecimalSI');
  });
});

describe('formatQuantity', () => {
  it.each([
    [0, 'DecimalSI', '0'],
    [1, 'DecimalSI', '1'],
    [0.1, 'DecimalSI', '100m'],
    [2.5, 'DecimalSI', '2500m'],
    [1000, 'DecimalSI', '1k'],
    [1500, 'DecimalSI', '1500'],
    [1500000, 'DecimalSI', '1500k'],
    [2e9, 'DecimalSI', '2G'],
    [-0.25, 'DecimalSI', '-250m'],
    [1e-10, 'DecimalSI', '1n'],
    [1024, 'BinarySI', '1Ki'],
    [128 * 2 ** 20, 'BinarySI', '128Mi'],
    [1536, 'BinarySI', '1536'],
    [1000, 'BinarySI', '1k'],
    [0.5, 'BinarySI', '500m'],
    [2 ** 30, 'BinarySI', '1Gi'],
  ] as const)('%d as %s → %s', (value, format, want) => {
    expect(formatQuantity(value, format)).toBe(want);
  });

  it.each(['100m', '1Ki', '128Mi', '2G', '1500k', '1'])('round-trips %s', (s) => {
    expect(formatQuantity(parseQuantity(s), quantityFormat(s))).toBe(s);
  });
});

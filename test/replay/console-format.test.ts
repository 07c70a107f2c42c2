import { describe, expect, it } from 'vitest';
// The console's browser modules are plain ES modules: their pure parts run under Node as they are.
import {
  currencyExponent,
  machineWord,
  majorUnits,
  parseMajor,
  relative,
  stateLabel,
  statePath,
} from '../../src/console/assets/format.js';

describe('console formatting', () => {
  it('writes states as words, from a state value or a path', () => {
    expect(stateLabel({ disputed: 'negotiation' })).toBe('Disputed › Negotiation');
    expect(stateLabel('disputed.arbitration_pending')).toBe('Disputed › Arbitration pending');
    expect(stateLabel('in_progress')).toBe('In progress');
    expect(statePath({ disputed: 'awaiting_response' })).toBe('disputed.awaiting_response');
  });

  it('names every registered machine as a page heading does', () => {
    expect(['milestone', 'project', 'payout', 'adjustment'].map(machineWord)).toEqual([
      'Milestone',
      'Project',
      'Payout',
      'Adjustment',
    ]);
  });

  it('turns minor units into major units without floating point, at any size and exponent', () => {
    expect(majorUnits('9223372036854775807', 2)).toBe('92233720368547758.07');
    expect(majorUnits('5', 2)).toBe('0.05');
    expect(majorUnits('0', 2)).toBe('0.00');
    expect(majorUnits('-500', 2)).toBe('-5.00');
    expect(majorUnits('1250', 0)).toBe('1250');
    expect(majorUnits('1250', 3)).toBe('1.250');
  });

  it('takes the exponent from the view, else from the currency', () => {
    expect(currencyExponent('USD')).toBe(2);
    expect(currencyExponent('JPY')).toBe(0);
    expect(currencyExponent('KWD')).toBe(3);
    expect(currencyExponent('JPY', 2)).toBe(2);
  });

  it('reads an amount typed in major units back as minor units, refusing what it cannot be', () => {
    expect(parseMajor('700', 2)).toBe('70000');
    expect(parseMajor('700.5', 2)).toBe('70050');
    expect(parseMajor('0.05', 2)).toBe('5');
    expect(parseMajor('0', 2)).toBe('0');
    expect(parseMajor('1250', 0)).toBe('1250');
    for (const bad of ['', '7.005', '-1', '1e3', '0x10', '1,000.00', 'seven'])
      expect(parseMajor(bad, 2), bad).toBeNull();
  });

  it('says how far a time is from now in its two largest units', () => {
    const now = Date.parse('2026-12-04T12:00:00Z');
    expect(relative('2026-12-04T11:59:49Z', now)).toBe('11 s ago');
    expect(relative('2026-12-18T16:30:00Z', now)).toBe('in 14 days 4 h');
    expect(relative('2026-12-04T12:00:00Z', now)).toBe('now');
  });
});

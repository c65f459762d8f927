import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGoDuration } from '../../../src/controller/schedule/duration.ts';

const s = 1_000_000_000n;

describe('parseGoDuration', () => {
  const valid: Array<[string, bigint]> = [
    ['168h', 168n * 3600n * s],
    ['1h30m', 5400n * s],
    ['90m', 5400n * s],
    ['1.5h', 5400n * s],
    ['2h45m30.5s', (2n * 3600n + 45n * 60n + 30n) * s + s / 2n],
    ['.5s', s / 2n],
    ['1.s', s],
    ['300ms', 300_000_000n],
    ['1us', 1000n],
    ['1µs', 1000n],
    ['1μs', 1000n],
    ['7ns', 7n],
    ['1.0000000001s', s], // cut at the nanosecond
    ['0', 0n],
    ['0s', 0n],
    ['+5m', 300n * s],
    ['-1h', -3600n * s],
    ['9223372036854775807ns', (1n << 63n) - 1n],
    ['2562047h', 2562047n * 3600n * s],
  ];
  for (const [text, want] of valid) {
    it(`reads ${text}`, () => {
      assert.equal(parseGoDuration(text), want);
    });
  }

  const invalid: Array<[string, RegExp]> = [
    ['', /empty/],
    ['-', /empty/],
    ['h', /want a number/],
    ['1', /missing unit/],
    ['1d', /unknown unit "d"/],
    ['1h-2m', /unknown unit "h-"/],
    ['..5s', /want a number/],
    ['9223372036854775808ns', /out of range/],
    ['2562048h', /out of range/],
    ['1 h', /unknown unit/],
  ];
  for (const [text, message] of invalid) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assert.throws(() => parseGoDuration(text), (err: unknown) => err instanceof Error && message.test(err.message) && err.message.startsWith('invalid duration'));
    });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClockSkewEstimate, CLOCK_SKEW_SAMPLES, MIN_CLOCK_SKEW_SAMPLES } from '../../../src/router/clock-skew.js';

test('clock skew: none until enough handshakes; the median, so a few wrong peers do not move it; bounded', () => {
  const s = new ClockSkewEstimate();
  for (let i = 0; i < MIN_CLOCK_SKEW_SAMPLES - 1; i++) s.add(-3_000);
  assert.equal(s.estimateMs(), undefined);
  s.add(-3_400);
  // Peers are 3 s behind us: our clock is 3 s ahead.
  assert.equal(s.estimateMs(), 3_000);
  s.add(3_600_000);
  s.add(-7_200_000);
  s.add(Number.NaN);
  assert.equal(s.estimateMs(), 3_000, 'outliers and garbage do not move the median');
  for (let i = 0; i < CLOCK_SKEW_SAMPLES; i++) s.add(0);
  assert.equal(s.count, CLOCK_SKEW_SAMPLES);
  assert.equal(s.estimateMs(), 0, 'old samples are replaced');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BandwidthMeter } from '../../../src/i2pcontrol/bandwidth-meter.js';

const T = 1_795_000_000_000;

test('no rates before two samples', () => {
  const m = new BandwidthMeter();
  assert.deepEqual(m.rates(), { in1s: 0, in15s: 0, out1s: 0, out15s: 0 });
  m.sample(T, 100, 100);
  assert.deepEqual(m.rates(), { in1s: 0, in15s: 0, out1s: 0, out15s: 0 });
});

test('1 s rate follows the last interval; 15 s rate averages the window', () => {
  const m = new BandwidthMeter();
  // 1000 B/s in and 500 B/s out for 20 s, then one second at 16000 B/s in.
  for (let s = 0; s <= 20; s++) m.sample(T + s * 1000, s * 1000, s * 500);
  let r = m.rates();
  assert.equal(r.in1s, 1000);
  assert.equal(r.out1s, 500);
  assert.equal(r.in15s, 1000);
  assert.equal(r.out15s, 500);
  m.sample(T + 21_000, 20_000 + 16_000, 21 * 500);
  r = m.rates();
  assert.equal(r.in1s, 16_000);
  assert.equal(r.in15s, (14 * 1000 + 16_000) / 15, 'the last 15 s: 14 s at 1000 B/s and 1 s at 16000 B/s');
  assert.equal(r.out15s, 500);
});

test('irregular sampling is weighted by time, not by sample count', () => {
  const m = new BandwidthMeter();
  m.sample(T, 0, 0);
  m.sample(T + 2000, 4000, 0);
  m.sample(T + 2500, 4500, 0);
  const r = m.rates();
  assert.equal(r.in1s, 1000);
  assert.equal(r.in15s, 4500 / 2.5);
});

test('out-of-order samples are ignored; a counter reset restarts the history', () => {
  const m = new BandwidthMeter();
  m.sample(T, 0, 0);
  m.sample(T + 1000, 1000, 1000);
  m.sample(T + 1000, 99_999, 99_999);
  m.sample(T + 500, 99_999, 99_999);
  assert.equal(m.rates().in1s, 1000);
  m.sample(T + 2000, 10, 10); // totals went down: a new transport, say
  assert.deepEqual(m.rates(), { in1s: 0, in15s: 0, out1s: 0, out15s: 0 });
  m.sample(T + 3000, 510, 10);
  assert.equal(m.rates().in1s, 500);
});

test('memory stays bounded however often it is fed', () => {
  const m = new BandwidthMeter({ maxSamples: 8 });
  for (let i = 1; i <= 10_000; i++) m.sample(T + i, i * 10, 0);
  // 8 samples 1 ms apart: 10 bytes per ms.
  assert.equal(m.rates().in15s, 10_000);
  assert.equal((m as unknown as { samples: unknown[] }).samples.length, 8);
});

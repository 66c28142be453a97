// The pure flow control of NTCP2 send backlogs: bounds, hysteresis, bounded pauses, slow peers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowControl, flowControlOptions, type FlowControlStats } from '../../../src/transport/ntcp2/flow-control.js';

const KiB = 1024;
const OPTS = { highWaterBytes: 64 * KiB, lowWaterBytes: 16 * KiB, maxSessionBytes: 256 * KiB, maxTotalBytes: 384 * KiB, maxPauseMs: 1000, slowCooldownMs: 5000 };

function make(): { fc: FlowControl; stats: FlowControlStats } {
  const stats = { congestions: 0, congestedMs: 0, slowPeers: 0 };
  return { fc: new FlowControl(OPTS, stats), stats };
}

test('admits within the per-session and the total bound only', () => {
  const { fc } = make();
  assert.ok(fc.admits(1, 256 * KiB));
  assert.ok(!fc.admits(1, 256 * KiB + 1));
  fc.update(1, 200 * KiB, 0);
  assert.ok(fc.admits(1, 56 * KiB));
  assert.ok(!fc.admits(1, 56 * KiB + 1));
  fc.update(2, 150 * KiB, 0);
  assert.equal(fc.totalBytes, 350 * KiB);
  // Session 3 has nothing queued, but the total bound leaves it 34 KiB.
  assert.ok(fc.admits(3, 34 * KiB));
  assert.ok(!fc.admits(3, 34 * KiB + 1));
  fc.remove(1, 0);
  assert.equal(fc.totalBytes, 150 * KiB);
  assert.ok(fc.admits(3, 200 * KiB));
});

test('a backlog above high water pauses reads from the other sessions until it is back at low water', () => {
  const { fc, stats } = make();
  assert.equal(fc.update(1, 63 * KiB, 0), false);
  assert.ok(!fc.paused);
  assert.equal(fc.update(1, 64 * KiB, 10), true);
  assert.ok(fc.paused);
  assert.equal(fc.shouldRead(2), false, 'the sources are paused');
  assert.equal(fc.shouldRead(1), true, 'the congested session itself is still read');
  assert.equal(fc.pauseDeadline, 1010);
  // Hysteresis: between the marks nothing changes.
  assert.equal(fc.update(1, 40 * KiB, 100), false);
  assert.ok(fc.paused);
  // A second congested session: no new pause, but it is read too now.
  assert.equal(fc.update(2, 100 * KiB, 150), true);
  assert.equal(fc.shouldRead(2), true);
  assert.equal(fc.shouldRead(3), false);
  assert.equal(fc.update(1, 16 * KiB, 200), true);
  assert.ok(fc.paused, 'session 2 still congested');
  assert.equal(fc.shouldRead(1), false);
  assert.equal(fc.update(2, 0, 300), true);
  assert.ok(!fc.paused);
  assert.ok(fc.shouldRead(1) && fc.shouldRead(2) && fc.shouldRead(3));
  assert.equal(fc.pauseDeadline, undefined);
  assert.deepEqual(stats, { congestions: 1, congestedMs: 290, slowPeers: 0 });
});

test('closing the congested session resumes reads', () => {
  const { fc, stats } = make();
  fc.update(1, 100 * KiB, 0);
  assert.ok(fc.paused);
  assert.equal(fc.remove(1, 50), true);
  assert.ok(!fc.paused);
  assert.equal(fc.totalBytes, 0);
  assert.equal(stats.congestedMs, 50);
  assert.equal(fc.remove(2, 60), false);
});

test('a pause never outlasts maxPauseMs: the congested sessions are declared slow', () => {
  const { fc, stats } = make();
  fc.update(1, 100 * KiB, 0);
  fc.update(2, 100 * KiB, 500);
  assert.equal(fc.expire(999), false, 'not yet');
  assert.ok(fc.paused);
  assert.equal(fc.expire(1000), true);
  assert.ok(!fc.paused, 'reads resume');
  assert.ok(fc.isSlow(1) && fc.isSlow(2));
  assert.deepEqual(stats, { congestions: 1, congestedMs: 1000, slowPeers: 2 });
  // A slow session growing further pauses nothing: it fills to the hard bound, then drops.
  assert.equal(fc.update(1, 250 * KiB, 1100), false);
  assert.ok(!fc.paused);
  assert.ok(!fc.admits(1, 7 * KiB));
  // Back at low water before the cooldown ended: still slow.
  assert.equal(fc.update(1, 10 * KiB, 3000), false);
  assert.ok(fc.isSlow(1));
  assert.equal(fc.update(1, 100 * KiB, 4000), false);
  // After the cooldown, at low water, it is an ordinary session again and may pause reads.
  assert.equal(fc.update(1, 10 * KiB, 6000), false);
  assert.ok(!fc.isSlow(1));
  assert.equal(fc.update(1, 64 * KiB, 6100), true);
  assert.ok(fc.paused);
  assert.equal(stats.congestions, 2);
  // Session 2 is still slow (its backlog never came down).
  assert.equal(fc.update(2, 200 * KiB, 7000), false);
  assert.ok(fc.isSlow(2));
});

test('options that contradict each other are refused', () => {
  assert.throws(() => flowControlOptions({ lowWaterBytes: 64 * KiB, highWaterBytes: 64 * KiB }), /lowWaterBytes < highWaterBytes/);
  assert.throws(() => flowControlOptions({ maxSessionBytes: 64 * KiB, maxTotalBytes: 32 * KiB }), /maxSessionBytes <= maxTotalBytes/);
  assert.throws(() => flowControlOptions({ maxPauseMs: 0 }), /maxPauseMs must be a positive integer/);
  assert.throws(() => flowControlOptions({ stallTimeoutMs: 1.5 }), /stallTimeoutMs/);
  assert.deepEqual(flowControlOptions({}).maxSessionBytes, 4 * 1024 * 1024);
});

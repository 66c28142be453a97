/**
 * Replay protection for build request records. tunnel-creation.rst "Hop Processing and
 * Encryption": a hop "make[s] sure the tunnel request is not a duplicate" (ElGamal routers fed the
 * reply key to a Bloom filter). For ECIES records the creator's ephemeral key is the natural
 * identifier: it must be "unique per ECIES hop, and per build record", and the record's MAC binds
 * it, so a replayed record carries the same key.
 *
 * An entry must outlive the window in which the record's request time is still accepted
 * (build-request.ts: REQUEST_MAX_AGE_MS in the past to REQUEST_MAX_FUTURE_MS ahead), so that a
 * replay inside that window is caught by the cache and one outside it by the time check.
 */
import { ReplayCache } from '../../transport/ntcp2/replay-cache.js';

/** Request time accepted up to this far in the past (5 minutes of skew and transit + 1 minute of rounding). */
export const REQUEST_MAX_AGE_MS = 6 * 60_000;
/** ... and this far in the future (creator's clock ahead of ours). */
export const REQUEST_MAX_FUTURE_MS = 5 * 60_000;
/** Covers the whole acceptance window of a request time. */
export const BUILD_REPLAY_TTL_MS = REQUEST_MAX_AGE_MS + REQUEST_MAX_FUTURE_MS + 60_000;
/** 32-byte keys as latin1 strings: about 10 MB at most. */
export const BUILD_REPLAY_MAX_ENTRIES = 50_000;

/** The bounded, time-driven memory of ephemeral keys seen in our build records (the shell owns one). */
export class BuildRecordReplayCache extends ReplayCache {
  constructor(ttlMs = BUILD_REPLAY_TTL_MS, maxEntries = BUILD_REPLAY_MAX_ENTRIES) {
    super(ttlMs, maxEntries);
  }
}

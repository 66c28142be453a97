/**
 * How much to explore (i2np.rst DatabaseLookup type 3: "exploration lookup ... non-floodfill
 * routers only"). A router learns most RouterInfos by exploring: it asks floodfills for
 * routers close to random keys and fetches the ones it does not know.
 *
 * Schedule, as i2pd 2.45 (NetDb::Run): every 30 seconds while the store holds fewer than 2500
 * RouterInfos, every 90 seconds above; each time floor(800 / known) explorations, at least 1
 * and at most 9 — a router that knows 90 peers explores 8 keys every 30 s, one that knows
 * 1000 explores 1. Java I2P stops exploring above a few thousand routers and floodfills never
 * explore (they receive every store by flooding); i2pd keeps exploring slowly, which also
 * refreshes the view of a small network, so we follow i2pd.
 */
export interface ExplorationPolicy {
  /** Below this many known routers explore every fastIntervalMs; default 2500. */
  threshold: number;
  fastIntervalMs: number;
  slowIntervalMs: number;
  /** Explorations per round = clamp(floor(scale / known), 1, maxPerRound). */
  scale: number;
  maxPerRound: number;
}

export const DEFAULT_EXPLORATION_POLICY: Readonly<ExplorationPolicy> = {
  threshold: 2500,
  fastIntervalMs: 30_000,
  slowIntervalMs: 90_000,
  scale: 800,
  maxPerRound: 9,
};

export interface ExplorationPlan {
  /** Explorations to start now. */
  count: number;
  /** Until the next round. */
  intervalMs: number;
}

export function explorationPlan(knownRouters: number, policy: Partial<ExplorationPolicy> = {}): ExplorationPlan {
  const p = { ...DEFAULT_EXPLORATION_POLICY, ...policy };
  const count = knownRouters <= 0 ? p.maxPerRound : Math.min(p.maxPerRound, Math.max(1, Math.floor(p.scale / knownRouters)));
  return { count, intervalMs: knownRouters < p.threshold ? p.fastIntervalMs : p.slowIntervalMs };
}

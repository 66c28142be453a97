/**
 * Bandwidth classes as i2pd defines them for `--bandwidth=<letter>`: the KBytes/s limit of each
 * (i2pd 2.45.1 reports L → 48 and X → 1000000, its "unlimited", in I2PControl NetworkSetting).
 */
const CLASS_LIMIT_KBPS: Record<string, number> = { K: 12, L: 48, M: 64, N: 128, O: 256, P: 2048, X: 1_000_000 };

export function bandwidthLimitKBps(letter: string): number {
  return CLASS_LIMIT_KBPS[letter] ?? CLASS_LIMIT_KBPS.L!;
}

/** Bytes/s that transit traffic may use: `share` percent of the class limit (i2pd's `--share`). */
export function transitBudgetBytesPerSecond(letter: string, sharePercent: number): number {
  return (bandwidthLimitKBps(letter) * 1000 * sharePercent) / 100;
}

/**
 * Small persisted router state that is not key material: the NTCP2 port picked at random on
 * first run (i2pd does the same, so the published address stays stable across restarts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { writeFileAtomic } from '../util/atomic-file.js';

export const ROUTER_STATE_FILE = 'router.state.json';
/** i2pd picks its random port in this range (spec: "a port between 9000 and 31000"). */
export const RANDOM_PORT_MIN = 9000;
export const RANDOM_PORT_MAX = 31000;

export interface RouterState {
  ntcp2Port: number;
}

export class RouterStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RouterStateError';
  }
}

function validPort(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535;
}

/**
 * Reads the state without creating anything; undefined when there is none yet. The firewall uses
 * it to learn the NTCP2 port the router picked (it must not pick one itself).
 */
export async function readRouterState(datadir: string): Promise<RouterState | undefined> {
  const path = join(datadir, ROUTER_STATE_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RouterStateError(`cannot read ${path}: ${(e as Error).message}`);
  }
  return parseRouterState(text, path);
}

/** Parses and checks the state file's text (also used to check one in a backup before restoring it). */
export function parseRouterState(text: string, path: string): RouterState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new RouterStateError(`${path}: not valid JSON (${(e as Error).message}); fix or delete it`);
  }
  const port = (parsed as { ntcp2Port?: unknown } | null)?.ntcp2Port;
  if (!validPort(port)) throw new RouterStateError(`${path}: ntcp2Port is missing or not a port; fix or delete it`);
  return { ntcp2Port: port };
}

/** Loads the state, creating it (with a random NTCP2 port) on first run. */
export async function loadOrCreateRouterState(datadir: string): Promise<RouterState> {
  const existing = await readRouterState(datadir);
  if (existing !== undefined) return existing;
  const state: RouterState = { ntcp2Port: randomInt(RANDOM_PORT_MIN, RANDOM_PORT_MAX + 1) };
  await writeFileAtomic(join(datadir, ROUTER_STATE_FILE), JSON.stringify(state, null, 2) + '\n');
  return state;
}

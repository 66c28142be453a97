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

/** Loads the state, creating it (with a random NTCP2 port) on first run. */
export async function loadOrCreateRouterState(datadir: string): Promise<RouterState> {
  const path = join(datadir, ROUTER_STATE_FILE);
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new RouterStateError(`cannot read ${path}: ${(e as Error).message}`);
  }
  if (text !== undefined) {
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
  const state: RouterState = { ntcp2Port: randomInt(RANDOM_PORT_MIN, RANDOM_PORT_MAX + 1) };
  await writeFileAtomic(path, JSON.stringify(state, null, 2) + '\n');
  return state;
}

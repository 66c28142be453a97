/**
 * Factory reset (issue 6, item 4). Files cannot be removed safely under a running router (it keeps
 * writing its netDb and RouterInfo), so the admin API only leaves a marker file and asks the process
 * to restart; the CLI calls performPendingFactoryReset() before the router starts, when nothing uses
 * the data directory. Only GarlicGate's own files are removed, never unknown ones (the data directory
 * could be a shared folder): the identity keys (a new router identity is made), state, RouterInfo,
 * netDb, address book, admin password (first-run mode again), I2PControl's certificate, and the
 * config file when it is the data directory's own (`--conf` elsewhere is left alone).
 */
import { rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../util/log.js';
import { ROUTER_KEYS_FILE } from '../router/router-keys.js';
import { ROUTER_STATE_FILE } from '../router/router-state.js';
import { ADDRESS_BOOK_FILE } from './addressbook/address-book.js';
import { ADMIN_PASSWORD_FILE } from './auth/credentials.js';

export const FACTORY_RESET_MARKER = 'factory-reset.pending';

const OWN_FILES = [ROUTER_KEYS_FILE, ROUTER_STATE_FILE, 'router.info', 'netDb', ADDRESS_BOOK_FILE, ADMIN_PASSWORD_FILE, 'i2pcontrol.crt.pem', 'i2pcontrol.key.pem', 'garlicgate.conf'];

/** Leaves the marker (atomic enough: its presence is all that matters). */
export async function requestFactoryReset(datadir: string): Promise<void> {
  await writeFile(join(datadir, FACTORY_RESET_MARKER), `${new Date().toISOString()}\n`, { mode: 0o600 });
}

/** If a reset was requested, removes GarlicGate's files from the data directory; returns what was removed. */
export async function performPendingFactoryReset(datadir: string, log: Logger): Promise<string[] | undefined> {
  const marker = join(datadir, FACTORY_RESET_MARKER);
  const exists = await stat(marker).then(
    () => true,
    () => false,
  );
  if (!exists) return undefined;
  const removed: string[] = [];
  for (const name of OWN_FILES) {
    const path = join(datadir, name);
    const there = await stat(path).then(
      () => true,
      () => false,
    );
    if (!there) continue;
    await rm(path, { recursive: true, force: true });
    removed.push(name);
  }
  // The marker goes last: a crash half-way repeats the reset at the next start.
  await rm(marker, { force: true });
  log.warn({ removed }, 'factory reset done: a new router identity will be created');
  return removed;
}

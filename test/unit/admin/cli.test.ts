import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from './fixture.js';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../interop/testnet.js';

const cli = fileURLToPath(new URL('../../../src/cli.js', import.meta.url));

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

test('garlicgate runs the admin UI in the router process (first run) and stops cleanly on SIGTERM', async () => {
  const dir = tempDir('cli');
  const port = await freePort();
  const child = spawn(process.execPath, [cli, `--datadir=${dir}`, '--netid=99', '--host=127.0.0.1', `--port=${await freePort()}`, '--reseed.urls=', `--http.port=${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    await waitFor(() => out.includes('admin UI listening'), 15_000, 'the admin UI');
    const status = await (await fetch(`http://127.0.0.1:${port}/api/v1/status`)).json();
    assert.deepEqual(status, { apiVersion: 1, firstRun: true, authenticated: false, sessionExpiresAt: null });
    assert.match(out, /no password set yet/);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    child.kill('SIGKILL');
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activatedSockets } from '../../../src/gateway/socket-activation.js';

test('LISTEN_FDS for our pid gives fds from 3 with their names, and the variables are removed', () => {
  const env: NodeJS.ProcessEnv = { LISTEN_PID: '4242', LISTEN_FDS: '3', LISTEN_FDNAMES: 'proxy:dns-udp:dns-tcp', PATH: '/bin' };
  assert.deepEqual(activatedSockets(env, 4242), [
    { fd: 3, name: 'proxy' },
    { fd: 4, name: 'dns-udp' },
    { fd: 5, name: 'dns-tcp' },
  ]);
  assert.deepEqual(env, { PATH: '/bin' });
});

test('another pid, no variables or garbage: not activated', () => {
  assert.deepEqual(activatedSockets({ LISTEN_PID: '1', LISTEN_FDS: '1' }, 4242), []);
  assert.deepEqual(activatedSockets({}, 4242), []);
  assert.deepEqual(activatedSockets({ LISTEN_PID: '4242', LISTEN_FDS: '-1' }, 4242), []);
  assert.deepEqual(activatedSockets({ LISTEN_PID: '4242x', LISTEN_FDS: '1' }, 4242), []);
  // Names that do not match the count are ignored.
  assert.deepEqual(activatedSockets({ LISTEN_PID: '4242', LISTEN_FDS: '2', LISTEN_FDNAMES: 'proxy' }, 4242), [
    { fd: 3, name: 'unknown' },
    { fd: 4, name: 'unknown' },
  ]);
});

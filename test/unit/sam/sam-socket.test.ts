// The socket shell's piping logic against plain local TCP servers that write recorded i2pd reply
// lines: hand-off of the stream with the bytes behind the reply line, deadlines, aborts, a bridge
// that closes, refuses or talks garbage. What the replies mean against a real bridge is proven by
// test/interop/sam-i2pd.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { failureKind, samBackendOptions, SamStreamBackend } from '../../../src/client/sam/sam-backend.js';
import { loadConfig } from '../../../src/config/load.js';
import { streamConnectCommand, namingLookupCommand, sessionCreateCommand } from '../../../src/client/sam/sam-commands.js';
import { SamSocket } from '../../../src/client/sam/sam-socket.js';
import { I2PBackendError } from '../../../src/gateway/i2p-backend.js';

const HELLO_OK = 'HELLO REPLY RESULT=OK VERSION=3.1\n';

/** A local server; `script` gets each accepted socket and the lines it receives. */
async function bridge(script: (sock: Socket, line: string) => void): Promise<{ server: Server; port: number; connections: () => number }> {
  let connections = 0;
  const server = createServer((sock) => {
    connections++;
    sock.on('error', () => {});
    let buf = '';
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        script(sock, line);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, connections: () => connections };
}

/** A port with nothing listening. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const open = (port: number, extra: Partial<Parameters<typeof SamSocket.open>[0]> = {}): Promise<SamSocket> =>
  SamSocket.open({ host: '127.0.0.1', port, connectTimeoutMs: 2000, helloTimeoutMs: 2000, ...extra });

function kind(k: string) {
  return (e: unknown): boolean => e instanceof I2PBackendError && e.kind === k;
}

test('STREAM CONNECT OK: the socket becomes the stream, bytes behind the reply line first', async () => {
  const { server, port } = await bridge((sock, line) => {
    if (line.startsWith('HELLO')) sock.write(HELLO_OK);
    else if (line.startsWith('STREAM CONNECT')) {
      // The reply and the peer's first bytes in one write, then more, then echo what we send.
      sock.write('STREAM STATUS RESULT=OK\nfirst-bytes|');
      setTimeout(() => sock.write('later|'), 20);
      sock.on('data', (d: Buffer) => {
        if (d.toString() === 'ping') sock.end('pong');
      });
    }
  });
  try {
    const s = await open(port);
    assert.equal(s.version, '3.1');
    const reply = await s.command(streamConnectCommand('gg-1', 'x.i2p', 80), 2000);
    assert.equal(reply.options.get('RESULT'), 'OK');
    const stream = s.takeStream();
    await new Promise((r) => setTimeout(r, 50));
    stream.write('ping');
    let got = '';
    for await (const c of stream) got += (c as Buffer).toString();
    assert.equal(got, 'first-bytes|later|pong');
  } finally {
    server.close();
  }
});

test('the stream can be consumed with data events long after the hand-off', async () => {
  const { server, port } = await bridge((sock, line) => {
    if (line.startsWith('HELLO')) sock.write(HELLO_OK);
    else sock.end('STREAM STATUS RESULT=OK\nABC');
  });
  try {
    const s = await open(port);
    await s.command(streamConnectCommand('gg-1', 'x.i2p', 80), 2000);
    const stream = s.takeStream();
    await new Promise((r) => setTimeout(r, 50));
    const got = await new Promise<string>((resolve) => {
      let acc = '';
      stream.on('data', (c: Buffer) => (acc += c.toString()));
      stream.on('end', () => resolve(acc));
    });
    assert.equal(got, 'ABC');
  } finally {
    server.close();
  }
});

test('a bridge that never answers: timeout; garbage: protocol; NOVERSION: protocol; I2P_ERROR: backend-down', async () => {
  const cases: [string | undefined, string][] = [
    [undefined, 'timeout'],
    ['\u0000\u0001garbage\n', 'protocol'],
    ['SESSION STATUS RESULT=OK\n', 'protocol'],
    ['HELLO REPLY VERSION=3.1\n', 'protocol'],
    ['HELLO REPLY RESULT=NOVERSION\n', 'protocol'],
    ['HELLO REPLY RESULT=I2P_ERROR MESSAGE="auth"\n', 'backend-down'],
    ['X'.repeat(9000), 'protocol'],
  ];
  for (const [answer, expected] of cases) {
    const { server, port } = await bridge((sock) => {
      if (answer !== undefined) sock.write(answer);
    });
    try {
      const t0 = Date.now();
      await assert.rejects(open(port, { helloTimeoutMs: 150 }), kind(expected), JSON.stringify(answer?.slice(0, 30)));
      assert.ok(Date.now() - t0 < 2000);
    } finally {
      server.close();
    }
  }
});

test('nothing listening: backend-down at once', async () => {
  await assert.rejects(open(await closedPort()), kind('backend-down'));
});

test('the bridge closing the socket during a command: backend-down', async () => {
  const { server, port } = await bridge((sock, line) => {
    if (line.startsWith('HELLO')) sock.write(HELLO_OK);
    else sock.destroy();
  });
  try {
    const s = await open(port);
    await assert.rejects(s.command(namingLookupCommand('a.i2p'), 2000), kind('backend-down'));
    await assert.rejects(s.command(namingLookupCommand('a.i2p'), 2000), kind('backend-down'), 'stays failed');
  } finally {
    server.close();
  }
});

test('abort during a command rejects with the signal reason and drops the socket', async () => {
  let closed = false;
  const { server, port } = await bridge((sock, line) => {
    if (line.startsWith('HELLO')) sock.write(HELLO_OK);
    sock.on('close', () => (closed = true));
  });
  try {
    const s = await open(port);
    const ac = new AbortController();
    const p = s.command(namingLookupCommand('a.i2p'), 10_000, ac.signal);
    const reason = new Error('caller gave up');
    setTimeout(() => ac.abort(reason), 20);
    await assert.rejects(p, (e) => e === reason);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(closed, true);
    await assert.rejects(open(port, { signal: AbortSignal.abort(reason) }), (e) => e === reason, 'aborted before it starts');
  } finally {
    server.close();
  }
});

test('session socket: onLost fires when the bridge closes it or says something unasked', async () => {
  for (const after of ['close', 'unasked']) {
    const { server, port } = await bridge((sock, line) => {
      if (line.startsWith('HELLO')) sock.write(HELLO_OK);
      else if (line.startsWith('SESSION CREATE')) {
        sock.write('SESSION STATUS RESULT=OK DESTINATION=AAAA\n');
        setTimeout(() => (after === 'close' ? sock.end() : sock.write('SESSION STATUS RESULT=I2P_ERROR MESSAGE="shutting down"\n')), 30);
      }
    });
    try {
      const s = await open(port);
      await s.command(sessionCreateCommand('gg-1'), 2000);
      const reason = await new Promise<string>((resolve) => s.onLost(resolve));
      assert.match(reason, after === 'close' ? /closed the socket/ : /unasked: SESSION STATUS/);
    } finally {
      server.close();
    }
  }
});

test('RESULT codes map onto the backend error kinds', () => {
  const k = (result: string): string => failureKind({ ok: false, result, message: undefined });
  assert.equal(k('CANT_REACH_PEER'), 'unreachable');
  assert.equal(k('PEER_NOT_FOUND'), 'unreachable');
  assert.equal(k('LEASESET_NOT_FOUND'), 'unreachable');
  assert.equal(k('I2P_ERROR'), 'unreachable');
  assert.equal(k('TIMEOUT'), 'timeout');
  assert.equal(k('INVALID_KEY'), 'unknown-name');
  assert.equal(k('KEY_NOT_FOUND'), 'unknown-name');
  assert.equal(k('INVALID_ID'), 'backend-down');
  assert.equal(k('SOMETHING_NEW'), 'protocol');
});

test('backend: bad names never reach the bridge; with the bridge down, calls fail fast with backend-down', async () => {
  const { server, port, connections } = await bridge(() => {});
  try {
    const b = new SamStreamBackend({ host: '127.0.0.1', port });
    assert.equal(await b.lookup('not a name'), undefined);
    assert.equal(await b.lookup('x.i2p\nSESSION CREATE'), undefined);
    await assert.rejects(b.connect('bad name', 80), kind('unknown-name'));
    await assert.rejects(b.connect('x.i2p', 80), kind('backend-down'), 'not started');
    assert.equal(connections(), 0);
    assert.deepEqual(b.counters.failures, { 'unknown-name': 1, 'backend-down': 1 });
    await b.close();
  } finally {
    server.close();
  }
  const down = new SamStreamBackend({ host: '127.0.0.1', port: await closedPort(), backoff: { initialMs: 60_000, maxMs: 60_000, jitter: 0 } });
  down.start();
  const t0 = Date.now();
  await assert.rejects(down.connect('x.i2p', 80), kind('backend-down'));
  await assert.rejects(down.lookup('x.i2p'), kind('backend-down'));
  assert.ok(Date.now() - t0 < 2000);
  assert.equal(down.sessionState, 'backoff');
  assert.equal(down.counters.sessionAttemptsFailed, 1);
  await down.close();
  await assert.rejects(down.connect('x.i2p', 80), kind('backend-down'));
});

test('backend: session options are checked; reserved and unknown keys refused', () => {
  assert.throws(() => new SamStreamBackend({ host: '127.0.0.1', port: 1, sessionOptions: { 'i2cp.leaseSetEncType': '0' } }), RangeError);
  assert.throws(() => new SamStreamBackend({ host: '127.0.0.1', port: 1, sessionOptions: { STYLE: 'RAW' } }), RangeError);
  assert.throws(() => new SamStreamBackend({ host: '127.0.0.1', port: 1, sessionOptions: { 'inbound.length': '2 ID=x' } }), RangeError);
  assert.doesNotThrow(() => new SamStreamBackend({ host: '127.0.0.1', port: 1, sessionOptions: { 'inbound.length': '1', 'i2cp.reduceOnIdle': 'true' } }));
});

test('backend: close() ends a lookup under way with backend-down', async () => {
  const { server, port } = await bridge((sock, line) => {
    if (line.startsWith('HELLO')) sock.write(HELLO_OK);
  });
  try {
    const b = new SamStreamBackend({ host: '127.0.0.1', port });
    const p = b.lookup('slow.i2p');
    await new Promise((r) => setTimeout(r, 50));
    await b.close();
    await assert.rejects(p, kind('backend-down'));
  } finally {
    server.close();
  }
});

test('backend options come from gateway.sam.address / gateway.sam.port', () => {
  assert.deepEqual(samBackendOptions(loadConfig([], '/nonexistent-home').config), { host: '127.0.0.1', port: 7656 });
  assert.deepEqual(samBackendOptions(loadConfig(['--gateway.sam.address=::1', '--gateway.sam.port=7777'], '/nonexistent-home').config), { host: '::1', port: 7777 });
});

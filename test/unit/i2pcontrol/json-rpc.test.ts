import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRequest, param, parseBody, RpcError, errorResponse, successResponse } from '../../../src/i2pcontrol/json-rpc.js';

test('parseBody: garbage, truncated JSON and invalid UTF-8 are parse errors with id null', () => {
  for (const body of ['garbage', '{"id":1,"method":"Echo"', '', '{"a":1}}', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])]) {
    const r = parseBody(body, 32);
    assert.equal(r.kind, 'invalid', String(body));
    if (r.kind !== 'invalid') continue;
    assert.equal(r.response.id, null);
    assert.equal(r.response.error.code, -32700);
    assert.equal(r.response.jsonrpc, '2.0');
  }
});

test('parseBody: single, batch, empty batch, oversized batch', () => {
  assert.deepEqual(parseBody('{"a":1}', 2), { kind: 'single', message: { a: 1 } });
  assert.deepEqual(parseBody(Buffer.from('"x"'), 2), { kind: 'single', message: 'x' });
  assert.deepEqual(parseBody('[1,2]', 2), { kind: 'batch', messages: [1, 2] });
  const empty = parseBody('[]', 2);
  assert.equal(empty.kind === 'invalid' && empty.response.error.code, -32600);
  const big = parseBody('[1,2,3]', 2);
  assert.equal(big.kind === 'invalid' && big.response.error.code, -32600);
});

test('parseBody survives deeply nested input', () => {
  const deep = '['.repeat(50_000) + ']'.repeat(50_000);
  const r = parseBody(deep, 32);
  // Either parsed as a 1-element batch or refused as a parse error: never a thrown RangeError.
  assert.ok(r.kind === 'batch' || r.kind === 'invalid');
});

test('checkRequest accepts a spec request and keeps id types', () => {
  for (const id of ['abc', 7, 1.5, null]) {
    const r = checkRequest({ id, method: 'Echo', params: { Echo: 'x' }, jsonrpc: '2.0' });
    assert.ok(r.ok);
    assert.deepEqual(r.request, { id, method: 'Echo', params: { Echo: 'x' }, notification: false });
  }
});

test('checkRequest: i2pd leniency — missing jsonrpc and missing params are fine', () => {
  const r = checkRequest({ id: 1, method: 'Echo' });
  assert.ok(r.ok);
  assert.deepEqual(r.request.params, {});
});

test('checkRequest: a request without id is a notification', () => {
  const r = checkRequest({ method: 'Echo', params: {} });
  assert.ok(r.ok);
  assert.equal(r.request.notification, true);
});

test('checkRequest refuses malformed envelopes with the right code and id', () => {
  const cases: [unknown, number, unknown][] = [
    ['a string', -32600, null],
    [42, -32600, null],
    [null, -32600, null],
    [[{ id: 1, method: 'Echo' }], -32600, null],
    [{ id: { x: 1 }, method: 'Echo' }, -32600, null],
    [{ id: true, method: 'Echo' }, -32600, null],
    [{ id: [1], method: 'Echo' }, -32600, null],
    [{ id: 3, method: 'Echo', jsonrpc: '1.0' }, -32600, 3],
    [{ id: 3, method: 'Echo', jsonrpc: 2 }, -32600, 3],
    [{ id: 'q', method: 5 }, -32600, 'q'],
    [{ id: 'q' }, -32600, 'q'],
    [{ id: 4, method: 'Echo', params: 'x' }, -32600, 4],
    [{ id: 4, method: 'Echo', params: null }, -32600, 4],
    [{ id: 5, method: 'Echo', params: ['x'] }, -32602, 5],
  ];
  for (const [msg, code, id] of cases) {
    const r = checkRequest(msg);
    assert.equal(r.ok, false, JSON.stringify(msg));
    if (r.ok) continue;
    assert.equal(r.response.error.code, code, JSON.stringify(msg));
    assert.equal(r.response.id, id, JSON.stringify(msg));
  }
});

test('param reads own members only', () => {
  const params = JSON.parse('{"__proto__": "p", "a": 1}') as Record<string, unknown>;
  assert.equal(param(params, 'a'), 1);
  assert.equal(param(params, '__proto__'), 'p');
  assert.equal(param(params, 'toString'), undefined);
  assert.equal(param(params, 'constructor'), undefined);
});

test('responses have i2pd member order and optional error data', () => {
  assert.equal(JSON.stringify(successResponse(1, { a: 1 })), '{"id":1,"result":{"a":1},"jsonrpc":"2.0"}');
  assert.equal(JSON.stringify(errorResponse('x', new RpcError(-32601))), '{"id":"x","error":{"code":-32601,"message":"Method not found."},"jsonrpc":"2.0"}');
  assert.deepEqual(errorResponse(null, new RpcError(-32001, 'm', { retryAfterMs: 5 })).error, { code: -32001, message: 'm', data: { retryAfterMs: 5 } });
});

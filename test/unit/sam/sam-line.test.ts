import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SAM_LINE, SamLineDecoder, SamProtocolError, formatSamCommand, parseSamReply } from '../../../src/client/sam/sam-line.js';

function lines(d: SamLineDecoder): string[] {
  const out: string[] = [];
  for (let l = d.nextLine(); l !== undefined; l = d.nextLine()) out.push(l);
  return out;
}

test('decoder: lines split across chunks, several in one chunk, CRLF tolerated', () => {
  const d = new SamLineDecoder();
  d.push(Buffer.from('HELLO REPLY RES'));
  assert.deepEqual(lines(d), []);
  d.push(Buffer.from('ULT=OK VERSION=3.1\nNAMING REPLY RESULT=OK\r\nSTREAM'));
  assert.deepEqual(lines(d), ['HELLO REPLY RESULT=OK VERSION=3.1', 'NAMING REPLY RESULT=OK']);
  assert.equal(d.buffered, 6);
  d.push(Buffer.from(' STATUS RESULT=OK\n'));
  assert.deepEqual(lines(d), ['STREAM STATUS RESULT=OK']);
});

test('decoder: byte by byte gives the same lines', () => {
  const text = 'HELLO REPLY RESULT=OK VERSION=3.1\nSTREAM STATUS RESULT=CANT_REACH_PEER\n';
  const d = new SamLineDecoder();
  const got: string[] = [];
  for (const b of Buffer.from(text)) {
    d.push(Buffer.from([b]));
    got.push(...lines(d));
  }
  assert.deepEqual(got, text.trimEnd().split('\n'));
});

test('decoder: a line of exactly the maximum passes, one byte more without a newline throws', () => {
  const d = new SamLineDecoder(16);
  d.push(Buffer.from('A'.repeat(16) + '\n'));
  assert.deepEqual(lines(d), ['A'.repeat(16)]);
  d.push(Buffer.from('B'.repeat(16)));
  assert.equal(d.nextLine(), undefined, 'still waiting at the bound');
  d.push(Buffer.from('B'));
  assert.throws(() => d.nextLine(), (e: unknown) => e instanceof SamProtocolError && e.code === 'line-too-long');
});

test('decoder: an overlong line is refused even when its newline arrives in the same chunk', () => {
  const d = new SamLineDecoder();
  d.push(Buffer.concat([Buffer.alloc(MAX_SAM_LINE + 5, 0x41), Buffer.from('\n')]));
  assert.throws(() => d.nextLine(), (e: unknown) => e instanceof SamProtocolError && e.code === 'line-too-long');
});

test('decoder: invalid UTF-8 and control characters are protocol errors', () => {
  for (const bad of [Buffer.from([0x48, 0xff, 0xfe, 0x0a]), Buffer.from('HELLO\u0000REPLY\n'), Buffer.from('HELLO \u001b[2J\n'), Buffer.from('A\rB\n')]) {
    const d = new SamLineDecoder();
    d.push(bad);
    assert.throws(() => d.nextLine(), SamProtocolError, JSON.stringify(bad.toString('latin1')));
  }
  const ok = new SamLineDecoder();
  ok.push(Buffer.from('NAMING REPLY RESULT=OK NAME=bücher.i2p\tX\n'));
  assert.deepEqual(lines(ok), ['NAMING REPLY RESULT=OK NAME=bücher.i2p\tX']);
});

test('decoder: takeRest hands out what follows the last line, binary included', () => {
  const d = new SamLineDecoder();
  d.push(Buffer.concat([Buffer.from('STREAM STATUS RESULT=OK\n'), Buffer.from([0, 1, 2, 0x0a, 0xff])]));
  assert.equal(d.nextLine(), 'STREAM STATUS RESULT=OK');
  assert.deepEqual(d.takeRest(), Buffer.from([0, 1, 2, 0x0a, 0xff]));
  assert.equal(d.buffered, 0);
});

test('replies as i2pd 2.45.1 writes them', () => {
  const hello = parseSamReply('HELLO REPLY RESULT=OK VERSION=3.1');
  assert.equal(hello.command, 'HELLO');
  assert.equal(hello.subcommand, 'REPLY');
  assert.deepEqual([...hello.options], [['RESULT', 'OK'], ['VERSION', '3.1']]);
  const naming = parseSamReply('NAMING REPLY RESULT=INVALID_KEY NAME=foo.i2p');
  assert.equal(naming.options.get('NAME'), 'foo.i2p');
  // i2pd writes MESSAGE with %s, unquoted: the words after the first become valueless keys.
  const err = parseSamReply('SESSION STATUS RESULT=I2P_ERROR MESSAGE=Unknown STYLE');
  assert.equal(err.options.get('RESULT'), 'I2P_ERROR');
  assert.equal(err.options.get('MESSAGE'), 'Unknown');
  assert.equal(err.options.get('STYLE'), '');
  // Base64 values keep their '=' padding.
  assert.equal(parseSamReply('NAMING REPLY RESULT=OK NAME=ME VALUE=AAAA~-==').options.get('VALUE'), 'AAAA~-==');
});

test('replies: SAM 3.2 quoting, escapes, empty values, extra spaces', () => {
  const r = parseSamReply('  STREAM STATUS  RESULT=I2P_ERROR MESSAGE="peer said \\"no\\" \\\\ bye" EMPTY= QUOTED_EMPTY="" FLAG ');
  assert.equal(r.options.get('MESSAGE'), 'peer said "no" \\ bye');
  assert.equal(r.options.get('EMPTY'), '');
  assert.equal(r.options.get('QUOTED_EMPTY'), '');
  assert.equal(r.options.get('FLAG'), '');
  assert.equal(parseSamReply('NAMING REPLY OPTION:_smtp._tcp="1 86400 0 0 25 x.b32.i2p"').options.get('OPTION:_smtp._tcp'), '1 86400 0 0 25 x.b32.i2p');
});

test('replies: PING and PONG carry free text', () => {
  assert.deepEqual(parseSamReply('PING 1234 abc'), { command: 'PING', subcommand: undefined, options: new Map(), text: '1234 abc' });
  assert.equal(parseSamReply('PONG').text, '');
});

test('replies: garbage is a typed error, never a crash', () => {
  const bad = [
    '',
    '   ',
    'RESULT=OK',
    '=',
    'hello reply RESULT=OK',
    'HELLO REPLY RESULT="unterminated',
    'HELLO REPLY RESULT="x"y',
    'HELLO REPLY RESULT=OK RESULT=NOVERSION',
    'HELLO REPLY =OK',
    'HELLO REPLY K"ey=1',
    'HELLO REPLY ' + Array.from({ length: 40 }, (_, i) => `K${i}=v`).join(' '),
    '{"json": true}',
  ];
  for (const line of bad) assert.throws(() => parseSamReply(line), SamProtocolError, JSON.stringify(line));
});

test('replies: random byte soup never throws anything but SamProtocolError', () => {
  const alphabet = 'AZ az=" \\\u00e9~-09.:_';
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < 5000; i++) {
    let s = '';
    const len = rnd(60);
    for (let j = 0; j < len; j++) s += alphabet[rnd(alphabet.length)];
    try {
      parseSamReply(s);
    } catch (e) {
      assert.ok(e instanceof SamProtocolError, `${JSON.stringify(s)}: ${String(e)}`);
    }
  }
});

test('commands: formatted on one line, quoted only when needed', () => {
  assert.equal(
    formatSamCommand('STREAM', 'CONNECT', [
      ['ID', 'gg-1'],
      ['DESTINATION', 'abc~-=='],
      ['MESSAGE', 'two words'],
      ['Q', 'say "hi" \\'],
      ['E', ''],
    ]).toString(),
    'STREAM CONNECT ID=gg-1 DESTINATION=abc~-== MESSAGE="two words" Q="say \\"hi\\" \\\\" E=""\n',
  );
  assert.equal(formatSamCommand('PONG', undefined).toString(), 'PONG\n');
});

test('commands: a newline, control character or bad key is refused, never sent', () => {
  assert.throws(() => formatSamCommand('NAMING', 'LOOKUP', [['NAME', 'a.i2p\nSESSION CREATE']]), RangeError);
  assert.throws(() => formatSamCommand('NAMING', 'LOOKUP', [['NAME', 'a\u0000']]), RangeError);
  assert.throws(() => formatSamCommand('NAMING', 'LOOKUP', [['NA ME', 'x']]), RangeError);
  assert.throws(() => formatSamCommand('NAMING', 'LOOKUP', [['NAME=X', 'x']]), RangeError);
  assert.throws(() => formatSamCommand('naming', 'LOOKUP'), RangeError);
});

test('commands round-trip through the reply parser', () => {
  const opts: [string, string][] = [
    ['A', 'plain'],
    ['B', 'with space'],
    ['C', 'q"uo\\te'],
    ['i2cp.leaseSetEncType', '4,0'],
  ];
  const line = formatSamCommand('SESSION', 'STATUS', opts).toString().trimEnd();
  assert.deepEqual([...parseSamReply(line).options], opts);
});

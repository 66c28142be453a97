import { test } from 'node:test';
import assert from 'node:assert/strict';
import { I2PCONTROL_OPTIONS, defaultI2PControlConfig } from '../../../src/config/i2pcontrol-options.js';
import { ConfigError } from '../../../src/config/options.js';

const parse = (name: keyof typeof I2PCONTROL_OPTIONS, raw: string) => I2PCONTROL_OPTIONS[name].parse(raw, name);

test('defaults are i2pd 2.45.1\'s (i2pd --help), plus HTTPS on', () => {
  assert.deepEqual(defaultI2PControlConfig(), {
    'i2pcontrol.enabled': false,
    'i2pcontrol.address': '127.0.0.1',
    'i2pcontrol.port': 7650,
    'i2pcontrol.password': 'itoopie',
    'i2pcontrol.cert': 'i2pcontrol.crt.pem',
    'i2pcontrol.key': 'i2pcontrol.key.pem',
    'i2pcontrol.https': true,
  });
  assert.deepEqual(Object.keys(I2PCONTROL_OPTIONS).sort(), Object.keys(defaultI2PControlConfig()).sort());
});

test('option parsers accept good values', () => {
  assert.equal(parse('i2pcontrol.enabled', 'true'), true);
  assert.equal(parse('i2pcontrol.enabled', '0'), false);
  assert.equal(parse('i2pcontrol.https', 'no'), false);
  assert.equal(parse('i2pcontrol.address', ' 0.0.0.0 '), '0.0.0.0');
  assert.equal(parse('i2pcontrol.address', '::1'), '::1');
  assert.equal(parse('i2pcontrol.port', '7650'), 7650);
  assert.equal(parse('i2pcontrol.port', '65535'), 65535);
  assert.equal(parse('i2pcontrol.password', ' spaces kept '), ' spaces kept ');
  assert.equal(parse('i2pcontrol.cert', '/etc/gg/c.pem'), '/etc/gg/c.pem');
});

test('option parsers refuse bad values with ConfigError', () => {
  const bad: [keyof typeof I2PCONTROL_OPTIONS, string][] = [
    ['i2pcontrol.enabled', 'maybe'],
    ['i2pcontrol.address', 'localhost'],
    ['i2pcontrol.address', ''],
    ['i2pcontrol.address', '127.0.0.1:7650'],
    ['i2pcontrol.port', '0'],
    ['i2pcontrol.port', '65536'],
    ['i2pcontrol.port', '-1'],
    ['i2pcontrol.port', '76a'],
    ['i2pcontrol.port', '1e3'],
    ['i2pcontrol.password', ''],
    ['i2pcontrol.key', '  '],
  ];
  for (const [name, raw] of bad) assert.throws(() => parse(name, raw), ConfigError, `${name}=${raw}`);
});

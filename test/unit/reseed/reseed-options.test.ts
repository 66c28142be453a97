import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, OPTIONS } from '../../../src/config/options.js';
import { DEFAULT_RESEED_URLS, RESEED_OPTIONS, defaultReseedConfig } from '../../../src/config/reseed-options.js';

const parse = (name: keyof typeof RESEED_OPTIONS, raw: string): unknown => RESEED_OPTIONS[name].parse(raw, name);

describe('reseed options (i2pd names)', () => {
  it('are part of the router options, under their own names', () => {
    for (const [k, spec] of Object.entries(RESEED_OPTIONS)) assert.equal(OPTIONS[k as keyof typeof OPTIONS], spec, k);
    const d = defaultReseedConfig();
    assert.equal(d['reseed.threshold'], 25);
    assert.equal(d['reseed.verify'], true);
    assert.deepEqual(d['reseed.urls'], DEFAULT_RESEED_URLS);
    assert.ok(DEFAULT_RESEED_URLS.length >= 10 && DEFAULT_RESEED_URLS.every((u) => u.startsWith('https://') && u.endsWith('/')));
  });

  it('parses reseed.urls like i2pd (comma-separated, empty items dropped), https only', () => {
    assert.deepEqual(parse('reseed.urls', 'https://a.example/, https://b.example:8443/netDb/,,'), ['https://a.example/', 'https://b.example:8443/netDb/']);
    assert.deepEqual(parse('reseed.urls', ''), []);
    assert.throws(() => parse('reseed.urls', 'https://a.example/,http://b.example/'), ConfigError);
  });

  it('takes a path or an https URL for reseed.file', () => {
    assert.equal(parse('reseed.file', '/var/lib/i2pseeds.su3'), '/var/lib/i2pseeds.su3');
    assert.equal(parse('reseed.file', 'https://x.example/i2pseeds.su3'), 'https://x.example/i2pseeds.su3');
    assert.equal(parse('reseed.file', ''), undefined);
    assert.throws(() => parse('reseed.file', 'http://x.example/i2pseeds.su3'), ConfigError);
  });

  it('validates threshold and proxy', () => {
    assert.equal(parse('reseed.threshold', '0'), 0);
    assert.equal(parse('reseed.threshold', ' 100 '), 100);
    for (const bad of ['-1', 'x', '1.5', '1000000']) assert.throws(() => parse('reseed.threshold', bad), ConfigError, bad);
    assert.equal(parse('reseed.proxy', 'socks://127.0.0.1:9050'), 'socks://127.0.0.1:9050');
    assert.equal(parse('reseed.proxy', ''), undefined);
    assert.throws(() => parse('reseed.proxy', 'https://127.0.0.1:1'), ConfigError);
  });

  it('accepts reseed.verify=true only: signatures are always verified', () => {
    assert.equal(parse('reseed.verify', 'true'), true);
    assert.throws(() => parse('reseed.verify', 'false'), /always verifies/);
    assert.throws(() => parse('reseed.verify', 'maybe'), ConfigError);
  });
});

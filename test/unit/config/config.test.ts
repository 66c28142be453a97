import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { configFilePath, loadConfig, parseIni } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/config/options.js';

const home = '/nonexistent-home';
const cli = fileURLToPath(new URL('../../../src/cli.js', import.meta.url));

test('defaults suit the real network', () => {
  const { config } = loadConfig([], home);
  assert.equal(config.netid, 2);
  assert.equal(config.datadir, '/nonexistent-home/.garlicgate');
  assert.equal(config.port, undefined);
  assert.equal(config['ntcp2.enabled'], true);
  assert.equal(config['ntcp2.published'], true);
  assert.equal(config.floodfill, false);
});

test('i2pd option names with = and with a separate value, and bare flags', () => {
  const { config } = loadConfig(['--datadir=/tmp/x', '--netid', '99', '--host=198.18.0.5', '--port=12345', '--floodfill', '--ntcp2.published=false', '--loglevel=debug'], home);
  assert.equal(config.datadir, '/tmp/x');
  assert.equal(config.netid, 99);
  assert.equal(config.host, '198.18.0.5');
  assert.equal(config.port, 12345);
  assert.equal(config.floodfill, true);
  assert.equal(config['ntcp2.published'], false);
  assert.equal(config.loglevel, 'debug');
  assert.equal(loadConfig(['--floodfill', 'false'], home).config.floodfill, false);
});

test('unknown and malformed options are refused with a reason', () => {
  const bad: Array<[string[], RegExp]> = [
    [['--bogus=1'], /unknown option "--bogus"/],
    [['--netid=abc'], /netid: expected an integer/],
    [['--netid=300'], /outside 1–255/],
    [['--port=70000'], /outside 1–65535/],
    [['--host=not-an-ip'], /not an IPv4 or IPv6 address/],
    [['--floodfill=maybe'], /expected true or false/],
    [['--loglevel=loud'], /unknown log level/],
    [['--netid'], /needs a value/],
    [['-x'], /unknown option "-x"/],
  ];
  for (const [argv, re] of bad) assert.throws(() => loadConfig(argv, home), (e: unknown) => e instanceof ConfigError && re.test(e.message), argv.join(' '));
});

test('INI file in i2pd syntax, sections become prefixes, command line wins', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gg-conf-'));
  const conf = join(dir, 'my.conf');
  writeFileSync(conf, '# comment\nnetid = 99\nhost = 198.18.0.9\nloglevel=warn\n\n[ntcp2]\nenabled = true\npublished = false\n; another comment\n');
  const { config } = loadConfig([`--conf=${conf}`, '--loglevel=error'], home);
  assert.equal(config.netid, 99);
  assert.equal(config.host, '198.18.0.9');
  assert.equal(config['ntcp2.published'], false);
  assert.equal(config.loglevel, 'error');
});

test('INI errors name the file and line', () => {
  assert.throws(() => parseIni('netid = 1\ngarbage line\n', 'f.conf'), /f\.conf:2: expected/);
  assert.throws(() => parseIni('netid = 1\nnetid = 2\n', 'f.conf'), /set twice/);
  const dir = mkdtempSync(join(tmpdir(), 'gg-conf-'));
  writeFileSync(join(dir, 'garlicgate.conf'), '[ntcp2]\nbogus = 1\n');
  assert.throws(() => loadConfig([`--datadir=${dir}`], home), /garlicgate\.conf: unknown option "ntcp2\.bogus"/);
  assert.throws(() => loadConfig([`--conf=${join(dir, 'missing.conf')}`], home), /does not exist/);
});

test('the CLI exits 2 on a bad option and writes nothing', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'gg-cli-')), 'data');
  for (const argv of [['--bogus'], ['--port=abc'], ['--netid=0']]) {
    const r = spawnSync(process.execPath, [cli, `--datadir=${dir}`, ...argv], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^garlicgate: /);
    assert.equal(existsSync(dir), false);
  }
  const help = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--reseed\.zipfile/);
});

test('the CLI refuses a corrupt key file rather than replacing it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gg-cli-'));
  writeFileSync(join(dir, 'router.keys.json'), '{"version":1}');
  const r = spawnSync(process.execPath, [cli, `--datadir=${dir}`, '--netid=99', '--host=127.0.0.1', '--port=1', '--loglevel=error'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 1);
  assert.match(r.stdout, /missing identity/);
  assert.deepEqual(readdirSync(dir), ['router.keys.json']);
});

test('admin web UI options: http.enabled, http.hostname (a list), and where the config file is', () => {
  const d = loadConfig([], '/h');
  assert.equal(d.config['http.enabled'], true);
  assert.deepEqual(d.config['http.hostname'], ['localhost']);
  assert.deepEqual([...d.commandLine], []);
  const c = loadConfig(['--http.enabled=false', '--http.hostname=Gateway.Home., box.lan', '--bandwidth=O'], '/h');
  assert.equal(c.config['http.enabled'], false);
  assert.deepEqual(c.config['http.hostname'], ['gateway.home', 'box.lan']);
  assert.deepEqual([...c.commandLine].sort(), ['bandwidth', 'http.enabled', 'http.hostname']);
  assert.throws(() => loadConfig(['--http.hostname=bad_name'], '/h'), /not a host name/);
  assert.equal(configFilePath(c.config), '/h/.garlicgate/garlicgate.conf');
  assert.equal(configFilePath({ ...c.config, conf: '/etc/gg.conf' }), '/etc/gg.conf');
});

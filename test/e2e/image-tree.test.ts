/**
 * The appliance without booting it (issue 7, the quick check that runs in CI): the garlicgate .deb
 * (scripts/build-deb.sh) — its fields, files and maintainer scripts — and the appliance's root file
 * system as scripts/build-image.sh builds it, here for this machine's architecture (amd64, Debian 13,
 * no kernel or firmware, no emulation; `npm run test:image` builds and boots the arm64 image): the
 * package installed by dpkg, the user created, the units enabled, nothing unique to one box left in
 * it, the units passing the image's own `systemd-analyze verify`, and the installed command running
 * on Debian's nodejs against the appliance's config. Runs as root (mmdebstrap, chroot).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'gg-appliance-tree-'));
after(() => rmSync(work, { recursive: true, force: true }));

function run(cmd: string, args: string[], opts: { timeout?: number; input?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { encoding: 'utf8', timeout: opts.timeout ?? 60_000, input: opts.input, maxBuffer: 64 * 1024 * 1024 });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what}: exit ${r.status} ${r.error?.message ?? ''}\n${r.stderr.slice(-3000)}`);
  return r.stdout;
}

let deb = '';
let rootfs = '';

before(async () => {
  const built = run(join(repo, 'scripts/build-deb.sh'), [`--out=${join(work, 'deb')}`, '--no-compile'], { timeout: 300_000 });
  deb = ok(built, 'build-deb.sh').trim().split('\n').at(-1)!;
});

test('the .deb: Architecture all, Debian nodejs >= 20.19, the files the units and the command need', () => {
  const field = (f: string): string => ok(run('dpkg-deb', ['-f', deb, f]), `dpkg-deb -f ${f}`).trim();
  assert.equal(field('Package'), 'garlicgate');
  assert.equal(field('Architecture'), 'all');
  const version = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version as string;
  assert.ok(field('Version').startsWith(version), field('Version'));
  const depends = field('Depends');
  for (const d of ['nodejs (>= 20.19)', 'iptables', 'iproute2', 'dnsmasq-base', 'systemd']) assert.ok(depends.includes(d), `Depends has ${d}: ${depends}`);
  assert.match(field('Recommends'), /\bi2pd\b/);

  const listing = ok(run('dpkg-deb', ['-c', deb]), 'dpkg-deb -c');
  const entries = new Map<string, { mode: string; owner: string }>();
  for (const line of listing.split('\n').filter(Boolean)) {
    const cols = line.split(/\s+/);
    const path = cols.slice(5).join(' ').replace(/^\.\//, '/').replace(/ -> .*$/, '');
    entries.set(path, { mode: cols[0]!, owner: cols[1]! });
  }
  const need: Array<[string, RegExp]> = [
    ['/usr/bin/garlicgate', /^-rwxr-xr-x$/],
    ['/usr/lib/garlicgate/dist/src/cli.js', /^-rw-r--r--$/],
    ['/usr/lib/garlicgate/package.json', /^-rw-r--r--$/],
    ['/usr/lib/garlicgate/node_modules/pino/package.json', /^-rw-r--r--$/],
    ['/usr/lib/garlicgate/node_modules/dns-packet/package.json', /^-rw-r--r--$/],
    ['/usr/lib/garlicgate/certificates/reseed/', /^d/],
    ['/usr/lib/garlicgate/webui/dist/index.html', /^-rw-r--r--$/],
    ['/usr/lib/systemd/system/garlicgate.service', /^-rw-r--r--$/],
    ['/usr/lib/systemd/system/garlicgate-firewall.service', /^-rw-r--r--$/],
    ['/usr/lib/systemd/system/garlicgate-gateway.target', /^-rw-r--r--$/],
    ['/usr/lib/systemd/system/garlicgate-proxy.socket', /^-rw-r--r--$/],
    ['/usr/lib/systemd/system/garlicgate-dns-udp.socket', /^-rw-r--r--$/],
    ['/usr/lib/systemd/system/garlicgate-dns-tcp.socket', /^-rw-r--r--$/],
    ['/usr/lib/systemd/system/garlicgate-dhcp.service', /^-rw-r--r--$/],
    ['/usr/lib/systemd/system/garlicgate-reconfigure.path', /^-rw-r--r--$/],
    ['/usr/lib/systemd/system/garlicgate-reconfigure.service', /^-rw-r--r--$/],
    ['/usr/lib/systemd/system/garlicgate-firewall-check.service', /^-rw-r--r--$/],
    ['/usr/lib/systemd/system/garlicgate-firewall-check.timer', /^-rw-r--r--$/],
    ['/usr/lib/systemd/system/i2pd.service.d/garlicgate.conf', /^-rw-r--r--$/],
    ['/usr/lib/sysusers.d/garlicgate.conf', /^-rw-r--r--$/],
    ['/usr/share/garlicgate/garlicgate.conf', /^-rw-r--r--$/],
    ['/usr/share/doc/garlicgate/copyright', /^-rw-r--r--$/],
  ];
  for (const [path, mode] of need) {
    const e = entries.get(path);
    assert.ok(e, `${path} is in the package`);
    assert.match(e.mode, mode, `${path} mode`);
  }
  for (const [path, e] of entries) assert.equal(e.owner, 'root/root', `${path} owned by root`);
  const unwanted = [...entries.keys()].filter((p) => /\/dist\/(test|bench)\/|\.map$|\.node$|^\/etc\/|^\/var\//.test(p));
  assert.deepEqual(unwanted, [], 'no tests, benchmarks, source maps, native code, /etc or /var files');

  // Maintainer scripts: present, executable, valid sh.
  const control = join(work, 'control');
  ok(run('dpkg-deb', ['-e', deb, control]), 'dpkg-deb -e');
  for (const s of ['postinst', 'prerm', 'postrm']) {
    assert.equal(statSync(join(control, s)).mode & 0o777, 0o755, `${s} mode`);
    ok(run('sh', ['-n', join(control, s)]), `sh -n ${s}`);
  }
  const postinst = readFileSync(join(control, 'postinst'), 'utf8');
  assert.match(postinst, /systemd-sysusers/);
  assert.match(postinst, /\[ ! -e \/etc\/garlicgate\/garlicgate\.conf \]/, 'the config is written only when absent (updates keep it)');
  const code = postinst.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');
  assert.doesNotMatch(code, /garlicgate-gateway\.target/, 'the gateway is never enabled behind the owner\'s back');
});

test('the appliance root file system (Debian 13, amd64): package installed, user, units, no per-box secrets', { timeout: 1_200_000 }, () => {
  const out = join(work, 'image');
  const built = run(join(repo, 'scripts/build-image.sh'), [`--out=${out}`, `--deb=${deb}`, '--arch=amd64', '--rootfs-only'], { timeout: 1_150_000 });
  if (built.status !== 0) {
    const logFile = join(out, 'build-amd64.log');
    const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-4000) : '';
    assert.fail(`build-image.sh --rootfs-only failed (${built.status}): ${built.stderr.slice(-2000)}\n${tail}`);
  }
  rootfs = join(out, 'rootfs-amd64');
  const r = (p: string): string => join(rootfs, p);
  const info = JSON.parse(readFileSync(join(out, 'build-info-amd64.json'), 'utf8'));
  assert.match(info.versions.nodejs, /^20\.(19|[2-9]\d)\./, `Debian's nodejs ${info.versions.nodejs}`);

  // Users.
  const passwd = readFileSync(r('etc/passwd'), 'utf8');
  const gg = passwd.split('\n').find((l) => l.startsWith('garlicgate:'))?.split(':');
  assert.ok(gg, 'user garlicgate');
  assert.ok(Number(gg[2]) > 0 && Number(gg[2]) < 1000, `a system uid (${gg[2]})`);
  assert.equal(gg[5], '/var/lib/garlicgate');
  assert.equal(gg[6], '/usr/sbin/nologin');
  assert.ok(passwd.includes('\ngarlicgate-dhcp:'), 'user garlicgate-dhcp');
  assert.match(readFileSync(r('etc/shadow'), 'utf8'), /^root:[*!]/m, 'root has no password');

  // Config and state.
  const conf = statSync(r('etc/garlicgate/garlicgate.conf'));
  assert.equal(conf.uid, Number(gg[2]));
  assert.equal(conf.mode & 0o777, 0o640);
  const confText = readFileSync(r('etc/garlicgate/garlicgate.conf'), 'utf8');
  const section = (name: string): string => confText.split(/^\[/m).find((part) => part.startsWith(`${name}]`)) ?? '';
  assert.match(section('gateway'), /^enabled = true$/m);
  assert.match(section('http'), /^address = 0\.0\.0\.0$/m);
  const state = statSync(r('var/lib/garlicgate'));
  assert.equal(state.uid, Number(gg[2]));
  assert.equal(state.mode & 0o777, 0o700);
  assert.deepEqual(readdirSync(r('var/lib/garlicgate')), [], 'no router keys in the image');

  // Nothing unique to one box.
  assert.equal(readFileSync(r('etc/machine-id'), 'utf8'), 'uninitialized\n');
  assert.deepEqual(readdirSync(r('etc/ssh')).filter((f) => f.startsWith('ssh_host_')), [], 'no SSH host keys');
  assert.equal(existsSync(r('var/lib/systemd/random-seed')), false);

  // Units enabled (the symlinks `systemctl enable` made) and masked.
  const wants = (target: string): string[] => readdirSync(r(`etc/systemd/system/${target}.wants`));
  for (const u of ['garlicgate.service', 'garlicgate-gateway.target', 'garlicgate-update.service', 'i2pd.service', 'systemd-networkd.service', 'ssh.service']) {
    assert.ok(wants('multi-user.target').includes(u), `${u} enabled`);
  }
  for (const u of ['garlicgate-firstboot.service', 'systemd-resolved.service', 'systemd-timesyncd.service']) {
    assert.ok(wants('sysinit.target').includes(u), `${u} enabled`);
  }
  assert.ok(!wants('multi-user.target').includes('wpa_supplicant.service'), "wpasupplicant's D-Bus service disabled");
  assert.equal(readlinkSync(r('etc/systemd/system/systemd-networkd-wait-online.service')), '/dev/null', 'wait-online masked');
  assert.ok(lstatSync(r('etc/resolv.conf')).isSymbolicLink());

  // The appliance's systemd configuration.
  assert.match(readFileSync(r('etc/systemd/journald.conf.d/garlicgate.conf'), 'utf8'), /^Storage=volatile$/m);
  assert.match(readFileSync(r('etc/systemd/system/systemd-networkd.service.d/garlicgate.conf'), 'utf8'), /^Requires=garlicgate-firewall\.service$/m);
  assert.match(readFileSync(r('etc/systemd/networkd.conf.d/garlicgate.conf'), 'utf8'), /^ManageForeignRoutingPolicyRules=no$/m, "networkd leaves the firewall's policy routing alone");
  // On the appliance the firewall units also write the box's networkd files (the package's own units do not).
  for (const u of ['garlicgate-firewall', 'garlicgate-reconfigure']) {
    assert.match(readFileSync(r(`etc/systemd/system/${u}.service.d/garlicgate.conf`), 'utf8'), /^ExecStart=\S+ .* firewall apply request=\S+ status=\S+ networkd=\/run\/systemd\/network$/m);
  }
  assert.match(readFileSync(r('etc/systemd/system/garlicgate-reconfigure.service.d/garlicgate.conf'), 'utf8'), /^ExecStart=\/usr\/bin\/systemctl --no-block try-restart garlicgate-dhcp\.service$/m);
  assert.equal(statSync(r('usr/local/lib/garlicgate/garlicgate-firstboot')).mode & 0o777, 0o755);
  ok(run('sh', ['-n', r('usr/local/lib/garlicgate/garlicgate-firstboot')]), 'sh -n firstboot');
  assert.match(readFileSync(r('etc/fstab'), 'utf8'), /^LABEL=gg-root\s+\/\s+ext4/m);
  assert.ok(existsSync(r('boot/firmware/garlicgate.txt.example')));
});

test("in the tree: the image's systemd-analyze verify passes on every unit, and the command runs on Debian's nodejs", { timeout: 300_000 }, () => {
  assert.ok(rootfs, 'the tree was built');
  // A private mount namespace: /proc for systemd-analyze and node, gone when the command ends.
  const inRoot = (cmd: string): SpawnSyncReturns<string> =>
    run('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', `mount -t proc proc "$1/proc" && exec chroot "$1" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin sh -c "$2"`, 'sh', rootfs, cmd], { timeout: 120_000 });

  const units = [
    'garlicgate.service',
    'garlicgate-firewall.service',
    'garlicgate-dhcp.service',
    'garlicgate-reconfigure.service',
    'garlicgate-reconfigure.path',
    'garlicgate-firewall-check.service',
    'garlicgate-firewall-check.timer',
    'garlicgate-proxy.socket',
    'garlicgate-dns-udp.socket',
    'garlicgate-dns-tcp.socket',
    'garlicgate-gateway.target',
    'garlicgate-firstboot.service',
    'garlicgate-update.service',
    'i2pd.service',
    'systemd-networkd.service',
  ];
  const verify = inRoot(`systemd-analyze verify --man=no ${units.join(' ')} 2>&1`);
  assert.equal(verify.status, 0, verify.stdout);
  assert.equal(verify.stdout.trim(), '', `no findings: ${verify.stdout}`);

  const version = ok(inRoot('garlicgate --version'), 'garlicgate --version');
  assert.match(version, /^garlicgate \d+\.\d+\.\d+/);
  // The appliance's config through the firewall generator and the DHCP generator, as the units run
  // them: the firewall with no more capabilities than its unit's CapabilityBoundingSet leaves root.
  const unit = readFileSync(join(rootfs, 'usr/lib/systemd/system/garlicgate-firewall.service'), 'utf8');
  const caps = /^CapabilityBoundingSet=(.*)$/m.exec(unit)![1]!.trim().split(/\s+/).map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`);
  const rules = inRoot(`setpriv --bounding-set=-all,${caps.join(',')} --inh-caps=-all -- /usr/bin/node /usr/lib/garlicgate/dist/src/cli.js --datadir=/var/lib/garlicgate --conf=/etc/garlicgate/garlicgate.conf firewall print`);
  assert.equal(rules.status, 0, rules.stderr);
  assert.match(rules.stdout, /-j TPROXY --on-port 7040/);
  assert.match(rules.stdout, /:INPUT DROP/);
  const dhcp = ok(inRoot('garlicgate dhcp print /var/lib/garlicgate-dhcp/dnsmasq.leases'), 'garlicgate dhcp print');
  assert.match(dhcp, /^interface=eth0$/m);
  assert.match(dhcp, /^dhcp-range=192\.168\.42\.50,192\.168\.42\.250,/m);
  assert.equal(inRoot('garlicgate dhcp enabled').status, 0);
  // dnsmasq accepts the generated file (--test parses the configuration and exits).
  ok(inRoot('garlicgate dhcp print /var/lib/garlicgate-dhcp/dnsmasq.leases > /tmp/dnsmasq.conf && dnsmasq --test --conf-file=/tmp/dnsmasq.conf'), 'dnsmasq --test');
});

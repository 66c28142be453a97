#!/usr/bin/env node
// The test runner behind `npm test` (after `tsc` has built dist/):
//   1. must run as root (the interop phase creates a network namespace);
//   2. installs the Debian packages the tests need (i2pd, iproute2) when missing;
//   3. unit tests:    node --test --test-concurrency=<cpus> dist/test/unit/**/*.test.js
//   4. interop tests: inside the `gg-interop` network namespace (see test/interop/netns.ts),
//                     ip netns exec gg-interop node --test --test-concurrency=1 dist/test/interop/*.test.js
//      and the namespace is deleted afterwards, also on failure or Ctrl-C;
//   5. e2e tests:     node --test --test-concurrency=1 dist/test/e2e/*.test.js in the root namespace;
//      each test builds (and removes) its own ggh-* network namespaces, veth links and rulesets;
//   6. prints a summary; the exit code is non-zero if anything failed.
// Interop tests never skip themselves; a skipped interop test counts as a failure here.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

// iptables (nft backend), tcpdump, ping, dnsmasq-base, busybox (udhcpc): the gateway's firewall, its
// leak captures and ICMP probes, and LAN DHCP; python3: the test launcher that hands transparent
// sockets over the systemd way (test/helpers/socket-activate.py); chromium: the admin page's browser
// tests (test/e2e/webui.test.ts and test/interop/webui-hidden-service.test.ts, driven by playwright-core);
// systemd (systemd-notify, systemd-analyze) and mmdebstrap: the appliance's notifications and its root
// file system (test/e2e/image-tree.test.ts).
const REQUIRED_PACKAGES = ['i2pd', 'iproute2', 'iptables', 'tcpdump', 'iputils-ping', 'dnsmasq-base', 'busybox', 'python3', 'chromium', 'systemd', 'mmdebstrap'];

function fail(msg) {
  console.error(`run-tests: ${msg}`);
  process.exit(1);
}

if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
  fail('must run as root: the interop tests run i2pd inside a network namespace (ip netns). Run `sudo npm test`.');
}

// ---- Debian packages -------------------------------------------------------------------------------
function missingPackages() {
  return REQUIRED_PACKAGES.filter((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' });
    return r.status !== 0 || !r.stdout.includes('install ok installed');
  });
}

function aptInstall(pkgs) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  return spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env }).status === 0;
}

{
  const missing = missingPackages();
  if (missing.length > 0) {
    console.log(`run-tests: installing ${missing.join(' ')}`);
    if (!aptInstall(missing)) {
      console.log('run-tests: apt-get install failed; running apt-get update and retrying');
      if (spawnSync('apt-get', ['update'], { stdio: 'inherit' }).status !== 0 || !aptInstall(missing)) {
        fail(`could not install ${missing.join(' ')}`);
      }
    }
    const still = missingPackages();
    if (still.length > 0) fail(`packages still missing after apt-get: ${still.join(' ')}`);
  }
}

// ---- Test discovery --------------------------------------------------------------------------------
/**
 * Compiled test files under dist/<dir> whose TypeScript source still exists (dist/ is never cleaned,
 * so a deleted or renamed test would otherwise keep running from a stale .js).
 */
function findTests(dir, recursive) {
  const distDir = path.join('dist', dir);
  if (!fs.existsSync(distDir)) return [];
  return fs
    .readdirSync(distDir, { recursive })
    .map(String)
    .filter((f) => f.endsWith('.test.js'))
    .filter((f) => fs.existsSync(path.join(dir, f.replace(/\.js$/, '.ts'))))
    .sort()
    .map((f) => path.join(distDir, f));
}

// ---- Running node --test -----------------------------------------------------------------------------
let currentChild;
let interopNamespaceCreated = false;
let netns; // the compiled test/interop/netns.js, loaded when needed

/**
 * Runs node --test with the human-readable spec reporter on stdout and a TAP copy in a file, whose
 * final `# pass/# fail/...` lines give the counts for the summary.
 */
function runNodeTest(label, prefix, files, concurrency) {
  const tapFile = path.join(os.tmpdir(), `gg-${label}-${process.pid}.tap`);
  const args = [
    ...prefix,
    process.execPath,
    '--test',
    `--test-concurrency=${concurrency}`,
    // A hung test fails after 5 minutes instead of hanging CI (tests set tighter timeouts themselves).
    '--test-timeout=300000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tapFile}`,
    ...files,
  ];
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(args[0], args.slice(1), { stdio: 'inherit' });
    currentChild = child;
    child.on('exit', (code, signal) => {
      currentChild = undefined;
      const counts = { tests: 0, pass: 0, fail: 0, skipped: 0, todo: 0, cancelled: 0 };
      try {
        const tap = fs.readFileSync(tapFile, 'utf8');
        for (const m of tap.matchAll(/^# (tests|pass|fail|skipped|todo|cancelled) (\d+)$/gm)) counts[m[1]] = Number(m[2]);
        fs.rmSync(tapFile, { force: true });
      } catch {
        // no TAP file: node --test itself failed; the exit code says so
      }
      resolve({ label, files: files.length, code: code ?? (signal ? 128 : 1), signal, counts, ms: Date.now() - started });
    });
  });
}

async function loadNetns() {
  const file = path.join(root, 'dist', 'test', 'interop', 'netns.js');
  if (!fs.existsSync(file)) fail(`${file} is missing: build first (npm run build)`);
  netns ??= await import(pathToFileURL(file).href);
  return netns;
}

function cleanupNamespace() {
  if (!interopNamespaceCreated || !netns) return;
  try {
    netns.deleteNetns(netns.INTEROP_NETNS);
    interopNamespaceCreated = false;
  } catch (e) {
    console.error(`run-tests: could not delete network namespace: ${e.message}`);
  }
}

/** Set by SIGINT/SIGTERM: no further phase starts, the namespace is removed, exit 130/143. */
let interrupted;

function exitIfInterrupted() {
  if (!interrupted) return;
  cleanupNamespace();
  console.error(`run-tests: interrupted by ${interrupted}`);
  process.exit(interrupted === 'SIGINT' ? 130 : 143);
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = sig;
    console.error(`\nrun-tests: ${sig}, stopping`);
    const child = currentChild;
    if (!child) return exitIfInterrupted();
    // The test process gets the signal too (it stops its i2pds); the main flow then cleans up.
    try {
      child.kill(sig);
    } catch {
      // already gone
    }
    // Should it hang: kill it, remove the namespace with whatever still runs inside, leave.
    setTimeout(() => {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
      exitIfInterrupted();
    }, 5000).unref();
  });
}

// ---- Main ------------------------------------------------------------------------------------------
const results = [];
const concurrency = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);

const unitFiles = findTests(path.join('test', 'unit'), true);
if (unitFiles.length === 0) {
  console.log('run-tests: no unit test files under dist/test/unit');
} else {
  console.log(`\nrun-tests: ${unitFiles.length} unit test files, concurrency ${concurrency}\n`);
  results.push(await runNodeTest('unit', [], unitFiles, concurrency));
  exitIfInterrupted();
}

const interopFiles = findTests(path.join('test', 'interop'), false);
if (interopFiles.length === 0) {
  console.log('run-tests: no interop test files under dist/test/interop');
} else {
  const { createNetns, INTEROP_NETNS } = await loadNetns();
  try {
    createNetns(INTEROP_NETNS);
    interopNamespaceCreated = true;
  } catch (e) {
    fail(`cannot create network namespace ${INTEROP_NETNS}: ${e.message}`);
  }
  console.log(`\nrun-tests: ${interopFiles.length} interop test files inside network namespace ${INTEROP_NETNS}\n`);
  try {
    results.push(await runNodeTest('interop', ['ip', 'netns', 'exec', INTEROP_NETNS], interopFiles, 1));
  } finally {
    const leftovers = netns.netnsPids(INTEROP_NETNS);
    if (leftovers.length > 0) console.error(`run-tests: killing processes left in ${INTEROP_NETNS}: ${leftovers.join(' ')}`);
    cleanupNamespace();
  }
  exitIfInterrupted();
}

const e2eFiles = findTests(path.join('test', 'e2e'), false);
if (e2eFiles.length === 0) {
  console.log('run-tests: no e2e test files under dist/test/e2e');
} else {
  console.log(`\nrun-tests: ${e2eFiles.length} e2e test files (each in network namespaces of its own)\n`);
  results.push(await runNodeTest('e2e', [], e2eFiles, 1));
  exitIfInterrupted();
}

// ---- Summary ---------------------------------------------------------------------------------------
let ok = true;
console.log('\n==================== test summary ====================');
for (const r of results) {
  const c = r.counts;
  const problems = [];
  if (r.code !== 0) problems.push(`exit code ${r.code}${r.signal ? ` (${r.signal})` : ''}`);
  if (r.label !== 'unit' && c.skipped > 0) problems.push(`${c.skipped} ${r.label} test(s) skipped: interop and e2e tests must not skip`);
  if (problems.length > 0) ok = false;
  console.log(
    `${problems.length ? 'FAIL' : 'ok  '} ${r.label.padEnd(8)} ${String(r.files).padStart(3)} files  ` +
      `${c.tests} tests: ${c.pass} passed, ${c.fail} failed, ${c.skipped} skipped, ${c.todo} todo, ${c.cancelled} cancelled  ` +
      `(${(r.ms / 1000).toFixed(1)} s)${problems.length ? '  <- ' + problems.join('; ') : ''}`,
  );
}
if (results.length === 0) console.log('no tests found');
console.log(ok ? 'ALL PASSED' : 'FAILED');
console.log('======================================================');
process.exit(ok ? 0 : 1);

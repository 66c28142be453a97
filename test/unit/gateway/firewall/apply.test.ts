import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyFirewall, checkFirewall, FirewallApplyError } from '../../../../src/gateway/firewall/apply.js';
import { generateFirewall } from '../../../../src/gateway/firewall/ruleset.js';
import { parseRulesetDocument } from '../../../../src/gateway/firewall/ruleset-document.js';
import { FakeKernel, sampleConfig } from './fixtures.js';

const plan = generateFirewall(sampleConfig());
const PREVIOUS = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n';

/** A kernel with someone else's IPv4 filter table loaded, forwarding on. */
function kernel(): FakeKernel {
  const k = new FakeKernel();
  k.tables[4] = parseRulesetDocument(PREVIOUS);
  return k;
}

const fail = (stderr: string) => ({ code: 1, stdout: '', stderr });

test('firewall apply: save, dry-run, forwarding off, load both, routing, check back — in that order', async () => {
  const k = kernel();
  await applyFirewall(plan, k);
  const changing = k.calls.filter((c) => !/(-save|show|sysctl -n)/.test(c));
  assert.deepEqual(changing, [
    'iptables-restore --test',
    'ip6tables-restore --test',
    'sysctl -w net.ipv4.ip_forward=0',
    'sysctl -w net.ipv6.conf.all.forwarding=0',
    'iptables-restore',
    'ip6tables-restore',
    'ip -4 rule add priority 9100 fwmark 0x1/0x1 lookup 100',
    'ip -4 rule add priority 9101 iif eth0 lookup 100',
    'ip -4 route replace local 0.0.0.0/0 dev lo table 100',
    'ip -6 rule add priority 9101 iif eth0 lookup 100',
    'ip -6 route replace local ::/0 dev lo table 100',
  ]);
  assert.deepEqual(k.calls.slice(0, 2), ['iptables-save', 'ip6tables-save'], 'the current rules are saved first');
  assert.ok(k.calls.lastIndexOf('iptables-save') > k.calls.indexOf('ip -6 route replace local ::/0 dev lo table 100'), 'checked back after loading');
  assert.deepEqual(await checkFirewall(plan, k), []);
  // The firewall's filter table replaced the previous one.
  assert.equal(k.tables[4].get('filter')!.chains.get('INPUT'), 'DROP');
});

test('firewall apply: a second apply with nothing to change adds no routing', async () => {
  const k = kernel();
  await applyFirewall(plan, k);
  k.calls.length = 0;
  await applyFirewall(plan, k);
  assert.deepEqual(k.calls.filter((c) => / (add|del|replace) /.test(c)), []);
});

test('firewall apply: a document refused by --test changes nothing', async () => {
  const k = kernel();
  k.fail = (line) => (line === 'ip6tables-restore --test' ? fail('line 7: bad') : undefined);
  await assert.rejects(applyFirewall(plan, k), (e: unknown) => e instanceof FirewallApplyError && e.rolledBack === undefined && /ip6tables-restore --test.*line 7: bad.*not changed/.test(e.message));
  assert.ok(!k.calls.some((c) => c === 'iptables-restore' || c.startsWith('sysctl') || c.startsWith('ip -')));
  assert.deepEqual(k.tables[4], parseRulesetDocument(PREVIOUS));
});

test('firewall apply: an IPv6 load failure after the IPv4 load restores the saved IPv4 rules', async () => {
  const k = kernel();
  k.fail = (line, input) => (line === 'ip6tables-restore' && input === plan.ipv6 ? fail('No chain/target/match by that name') : undefined);
  await assert.rejects(applyFirewall(plan, k), (e: unknown) => e instanceof FirewallApplyError && e.rolledBack === true && /No chain.*rolled back/.test(e.message));
  // The saved document went back in (plus empty versions of our tables that had not existed).
  const v4 = k.tables[4];
  assert.deepEqual(v4.get('filter'), parseRulesetDocument(PREVIOUS).get('filter'));
  assert.deepEqual(v4.get('nat')!.rules, []);
  assert.deepEqual(v4.get('mangle')!.rules, []);
  assert.ok(!k.calls.some((c) => c.startsWith('ip -4 rule add')), 'no routing before both documents loaded');
});

test('firewall apply: a check-back mismatch rolls back the rules and the routing it added', async () => {
  const k = kernel();
  // The kernel prints one rule differently from what we generated.
  k.normalise = (r) => r.replace('RELATED,ESTABLISHED', 'ESTABLISHED,RELATED');
  await assert.rejects(applyFirewall(plan, k), (e: unknown) => e instanceof FirewallApplyError && e.rolledBack === true && /check after loading found differences: IPv4 \*filter line 6/.test(e.message));
  assert.deepEqual(k.tables[4].get('filter'), parseRulesetDocument(PREVIOUS).get('filter'));
  assert.deepEqual(k.rules[4].map((r) => r.priority), [0, 32766], 'added ip rules removed');
  assert.deepEqual(k.rules[6].map((r) => r.priority), [0, 32766]);
  assert.deepEqual(k.routes, { 4: false, 6: false }, 'added routes removed');
  const tail = k.calls.slice(k.calls.indexOf('iptables-restore', k.calls.indexOf('iptables-restore') + 1));
  assert.deepEqual(tail.filter((c) => / (add|del|replace) /.test(c)), [
    'ip -6 route del local ::/0 dev lo table 100',
    'ip -6 rule del priority 9101 iif eth0 lookup 100',
    'ip -4 route del local 0.0.0.0/0 dev lo table 100',
    'ip -4 rule del priority 9101 iif eth0 lookup 100',
    'ip -4 rule del priority 9100 fwmark 0x1/0x1 lookup 100',
  ]);
});

test('firewall apply: a stale rule of ours (an earlier LAN interface) is replaced, and put back on rollback', async () => {
  const k = kernel();
  k.rules[4].splice(1, 0, { priority: 9101, src: 'all', iif: 'eth9', table: '100' });
  await applyFirewall(plan, k);
  assert.deepEqual(k.rules[4].filter((r) => r.priority === 9101).map((r) => r.iif), ['eth0']);
  assert.ok(k.calls.includes('ip -4 rule del priority 9101 iif eth9 lookup 100'));

  const k2 = kernel();
  k2.rules[4].splice(1, 0, { priority: 9101, src: 'all', iif: 'eth9', table: '100' });
  k2.fail = (line) => (line === 'sysctl -n net.ipv6.conf.all.forwarding' ? { code: 0, stdout: '1\n', stderr: '' } : undefined);
  await assert.rejects(applyFirewall(plan, k2), (e: unknown) => e instanceof FirewallApplyError && /forwarding is 1, expected 0/.test(e.message));
  assert.deepEqual(k2.rules[4].filter((r) => r.priority === 9101).map((r) => r.iif), ['eth9']);
});

test('firewall apply: a failing rollback is reported as such', async () => {
  const k = kernel();
  let loads = 0;
  k.fail = (line, input) => {
    if (line === 'ip6tables-restore' && input === plan.ipv6) return fail('boom');
    if (line === 'iptables-restore' && ++loads === 2) return fail('cannot restore');
    return undefined;
  };
  await assert.rejects(applyFirewall(plan, k), (e: unknown) => e instanceof FirewallApplyError && e.rolledBack === false && /boom.*ROLLBACK INCOMPLETE.*cannot restore/.test(e.message));
});

test('firewall apply: an unreadable save stops before anything changes', async () => {
  const k = kernel();
  k.fail = (line) => (line === 'iptables-save' ? { code: 0, stdout: 'garbage\n', stderr: '' } : undefined);
  await assert.rejects(applyFirewall(plan, k), (e: unknown) => e instanceof FirewallApplyError && e.rolledBack === undefined);
  assert.deepEqual(k.calls, ['iptables-save', 'ip6tables-save']);
});

test('firewall check: names every difference — rules, routing, sysctls', async () => {
  const k = kernel();
  await applyFirewall(plan, k);
  k.sysctls['net.ipv4.ip_forward'] = '1';
  k.routes[6] = false;
  k.rules[4] = k.rules[4].filter((r) => r.priority !== 9100);
  k.rules[6].push({ priority: 9100, src: 'all', iif: 'eth1', table: '100' });
  k.tables[6].get('filter')!.rules.pop();
  const diffs = await checkFirewall(plan, k);
  assert.deepEqual(diffs, [
    'IPv6 *filter line 16: expected "-A FORWARD -i eth0 -j REJECT --reject-with icmp6-adm-prohibited", loaded (nothing)',
    'missing: ip -4 rule priority 9100 fwmark 0x1/0x1 lookup 100',
    'stale: ip -6 rule priority 9100 iif eth1 lookup 100',
    'missing: ip -6 route local ::/0 dev lo table 100',
    'sysctl net.ipv4.ip_forward is 1, expected 0',
  ]);
  // A different config does not match what is loaded.
  const other = generateFirewall(sampleConfig({ dnsPort: 5353 }));
  assert.ok((await checkFirewall(other, k)).some((d) => d.includes('--to-ports 5353')));
});

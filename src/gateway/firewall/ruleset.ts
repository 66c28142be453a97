/**
 * The fail-closed firewall as data (issue 5, item 4): config → the complete IPv4 `iptables-restore`
 * document, the IPv6 `ip6tables-restore` document, the policy-routing rules and the sysctls. Pure:
 * no I/O, so every policy point is a unit-tested assertion on text.
 *
 * The policy (see ARCHITECTURE.md, "LAN gateway firewall"):
 * - FORWARD DROP (and `net.ipv4.ip_forward=0`, `net.ipv6.conf.all.forwarding=0`): the box never
 *   forwards LAN traffic. On top of that, everything arriving on the LAN is routed to the box itself
 *   (`ip rule iif <lan> lookup 100`, table 100 = `local default dev lo`), so it meets INPUT, where
 *   anything not allowed is REJECTed, and nothing from the LAN can be routed out even if forwarding
 *   were switched on by someone else. TCP gets a reset at once; IPv6 gets icmp6-adm-prohibited. IPv4
 *   UDP/ICMP to an outside address ends up dropped silently: the kernel will not send an ICMP error
 *   from a source address that is not configured on the box (and without our route, the routing
 *   code drops it silently too when forwarding is off). UDP/ICMP to the box's own address gets
 *   icmp-admin-prohibited.
 * - LAN → box: DNS (UDP/TCP 53 to any address, REDIRECTed to the DNS port, accepted as
 *   `--ctstate DNAT`), the transparent proxy (TPROXY'd flows, accepted by the TPROXY mark), DHCP
 *   (UDP 67), the admin UI port on the LAN address. Everything else from the LAN is rejected: other
 *   TCP/UDP, ICMP to the outside, DoT 853, and all IPv6.
 * - WAN → box: only the router's transport ports, and replies (established/related).
 * - Invalid packets and stray non-SYN "new" TCP (RST/ACK scans) are dropped.
 * - OUTPUT stays open: the router itself needs the internet.
 * - Nothing here depends on the daemon: with no listener, TPROXY drops the packet and REDIRECTed DNS
 *   gets a port unreachable; LAN traffic never reaches the WAN.
 *
 * Rules are written in the exact form `iptables-save` prints them (iptables 1.8, nf_tables backend),
 * so the check after loading can compare line by line (./ruleset-document.ts).
 */
import { GARLICGATE_VERSION } from '../../version.js';
import { firewallConfigHash, validateFirewallConfig, type FirewallConfig, SSH_PORT } from './firewall-config.js';

/** Mark set by TPROXY on the flows it hands to the transparent proxy; routed locally (table 100). */
export const TPROXY_MARK = '0x1/0x1';
/** The policy-routing table holding `local default dev lo`. */
export const LOCAL_ROUTE_TABLE = 100;
/** Priorities of our `ip rule`s: fixed, so apply can find (and replace) its own rules. */
export const RULE_PRIORITY_TPROXY_MARK = 9100;
export const RULE_PRIORITY_LAN_LOCAL = 9101;
/** DNS over TLS: named in the document so the refusal is visible (the catch-all rejects it too). */
export const DOT_PORT = 853;

export interface PolicyRule {
  family: 4 | 6;
  priority: number;
  /** Exactly one selector: the TPROXY mark or the LAN interface. */
  fwmark?: string;
  iif?: string;
  table: number;
}

export interface LocalRoute {
  family: 4 | 6;
  table: number;
}

export interface Sysctl {
  key: string;
  value: string;
}

export interface FirewallPlan {
  config: FirewallConfig;
  /** Fingerprint of the config, in both documents' header. */
  hash: string;
  /** `iptables-restore` document (tables mangle, nat, filter). */
  ipv4: string;
  /** `ip6tables-restore` document (table filter). */
  ipv6: string;
  rules: PolicyRule[];
  routes: LocalRoute[];
  sysctls: Sysctl[];
}

/** The tables each document replaces: compared after loading, reset on rollback. */
export const IPV4_TABLES = ['mangle', 'nat', 'filter'] as const;
export const IPV6_TABLES = ['filter'] as const;

/** Built-in chains per table, in `iptables-save` order. */
export const BUILTIN_CHAINS: Record<string, readonly string[]> = {
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

export const FORWARDING_SYSCTLS: readonly Sysctl[] = [
  { key: 'net.ipv4.ip_forward', value: '0' },
  { key: 'net.ipv6.conf.all.forwarding', value: '0' },
];

/** `ip` argument lists (after `ip -4`/`ip -6`) that add a rule or the local route. */
export function ruleSelectorArgs(r: PolicyRule): string[] {
  const sel = r.fwmark !== undefined ? ['fwmark', r.fwmark] : ['iif', r.iif!];
  return ['priority', String(r.priority), ...sel, 'lookup', String(r.table)];
}

export function localRouteArgs(r: LocalRoute): string[] {
  return ['local', r.family === 4 ? '0.0.0.0/0' : '::/0', 'dev', 'lo', 'table', String(r.table)];
}

function table(name: string, policies: Record<string, string>, rules: string[]): string[] {
  const chains = BUILTIN_CHAINS[name]!;
  return [`*${name}`, ...chains.map((c) => `:${c} ${policies[c] ?? 'ACCEPT'} [0:0]`), ...rules, 'COMMIT'];
}

function header(plan: { hash: string; config: FirewallConfig }, family: 'IPv4' | 'IPv6', extra: string[]): string[] {
  const c = plan.config;
  const tcp = c.transport.tcp.join(',') || 'none';
  const udp = c.transport.udp.join(',') || 'none';
  return [
    `# Generated by garlicgate ${GARLICGATE_VERSION} (${family} firewall) from config ${plan.hash}; do not edit: \`garlicgate firewall print\``,
    `# LAN ${c.lan.interface} ${c.lan.address}/${c.lan.bits}, WAN ${c.wan.interface}, virtual range ${c.virtualRange.address}/${c.virtualRange.bits}, mode ${c.mode}`,
    `# DNS port ${c.dnsPort}, transparent proxy port ${c.proxyPort}, DHCP ${c.dhcp ? 'on' : 'off'}, admin UI ${c.adminPort ?? 'not on the LAN'}, SSH ${c.ssh ? SSH_PORT : 'off'}, transport TCP ${tcp} UDP ${udp}`,
    ...extra.map((l) => `# ${l}`),
  ];
}

function ipv4Document(plan: { hash: string; config: FirewallConfig }, extra: string[]): string {
  const c = plan.config;
  const lan = `-i ${c.lan.interface}`;
  const wan = `-i ${c.wan.interface}`;
  const box = `${c.lan.address}/32`;
  const vrange = `${c.virtualRange.address}/${c.virtualRange.bits}`;
  const tproxy = `-j TPROXY --on-port ${c.proxyPort} --on-ip 0.0.0.0 --tproxy-mark ${TPROXY_MARK}`;

  const mangle = [
    // LAN TCP to the virtual range → the transparent proxy (port 53 stays DNS: see nat).
    `-A PREROUTING -d ${vrange} ${lan} -p tcp -m tcp ! --dport 53 ${tproxy}`,
  ];
  if (c.mode === 'outproxy') {
    // Web traffic to clearnet addresses goes to the proxy too, which hands it to the I2P outproxy.
    mangle.push(`-A PREROUTING ! -d ${box} ${lan} -p tcp -m multiport --dports 80,443 ${tproxy}`);
  }

  const nat = [
    `-A PREROUTING ${lan} -p udp -m udp --dport 53 -j REDIRECT --to-ports ${c.dnsPort}`,
    `-A PREROUTING ${lan} -p tcp -m tcp --dport 53 -j REDIRECT --to-ports ${c.dnsPort}`,
  ];

  const input = [
    '-A INPUT -i lo -j ACCEPT',
    '-A INPUT -m conntrack --ctstate INVALID -j DROP',
    '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    '-A INPUT -p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -m conntrack --ctstate NEW -j DROP',
    // DNS: only what our nat rules redirected from port 53.
    `-A INPUT ${lan} -p udp -m udp --dport ${c.dnsPort} -m conntrack --ctstate DNAT --ctorigdstport 53 -j ACCEPT`,
    `-A INPUT ${lan} -p tcp -m tcp --dport ${c.dnsPort} -m conntrack --ctstate DNAT --ctorigdstport 53 -j ACCEPT`,
    // The transparent proxy: only flows our TPROXY rules marked.
    `-A INPUT ${lan} -p tcp -m mark --mark ${TPROXY_MARK} -j ACCEPT`,
  ];
  if (c.dhcp) {
    input.push(
      `-A INPUT -d ${box} ${lan} -p udp -m udp --sport 68 --dport 67 -j ACCEPT`,
      `-A INPUT -d 255.255.255.255/32 ${lan} -p udp -m udp --sport 68 --dport 67 -j ACCEPT`,
    );
  }
  if (c.adminPort !== undefined) input.push(`-A INPUT -d ${box} ${lan} -p tcp -m tcp --dport ${c.adminPort} -j ACCEPT`);
  if (c.ssh) input.push(`-A INPUT -d ${box} ${lan} -p tcp -m tcp --dport ${SSH_PORT} -j ACCEPT`);
  input.push(
    // Refusals, fast: DoT named for the reader; the catch-alls cover it and everything else.
    `-A INPUT ${lan} -p tcp -m tcp --dport ${DOT_PORT} -j REJECT --reject-with tcp-reset`,
    `-A INPUT ${lan} -p tcp -j REJECT --reject-with tcp-reset`,
    `-A INPUT ${lan} -j REJECT --reject-with icmp-admin-prohibited`,
  );
  for (const p of c.transport.tcp) input.push(`-A INPUT ${wan} -p tcp -m tcp --dport ${p} -j ACCEPT`);
  for (const p of c.transport.udp) input.push(`-A INPUT ${wan} -p udp -m udp --dport ${p} -j ACCEPT`);

  const forward = [
    `-A FORWARD ${lan} -p tcp -j REJECT --reject-with tcp-reset`,
    `-A FORWARD ${lan} -j REJECT --reject-with icmp-admin-prohibited`,
  ];

  return [
    ...header(plan, 'IPv4', extra),
    ...table('mangle', {}, mangle),
    ...table('nat', {}, nat),
    ...table('filter', { INPUT: 'DROP', FORWARD: 'DROP' }, [...input, ...forward]),
    '',
  ].join('\n');
}

/** ICMPv6 the WAN link needs before conntrack sees anything: RA, NS, NA (RFC 4861, hop limit 255). */
const WAN_NDP_TYPES = [134, 135, 136];

function ipv6Document(plan: { hash: string; config: FirewallConfig }, extra: string[]): string {
  const c = plan.config;
  const lan = `-i ${c.lan.interface}`;
  const wan = `-i ${c.wan.interface}`;
  const input = [
    '-A INPUT -i lo -j ACCEPT',
    // Neighbour discovery on the WAN only (conntrack would call it INVALID). The LAN gets none: no
    // IPv6 at all there, not even a way to find the box.
    ...WAN_NDP_TYPES.map((t) => `-A INPUT ${wan} -p ipv6-icmp -m icmp6 --icmpv6-type ${t} -m hl --hl-eq 255 -j ACCEPT`),
    '-A INPUT -m conntrack --ctstate INVALID -j DROP',
    '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    '-A INPUT -p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -m conntrack --ctstate NEW -j DROP',
    // All IPv6 from the LAN: refused.
    `-A INPUT ${lan} -p tcp -j REJECT --reject-with tcp-reset`,
    `-A INPUT ${lan} -j REJECT --reject-with icmp6-adm-prohibited`,
    // DHCPv6 replies to the box's own client on the WAN (link-local server → port 546).
    `-A INPUT -s fe80::/10 ${wan} -p udp -m udp --dport 546 -j ACCEPT`,
  ];
  for (const p of c.transport.tcp) input.push(`-A INPUT ${wan} -p tcp -m tcp --dport ${p} -j ACCEPT`);
  for (const p of c.transport.udp) input.push(`-A INPUT ${wan} -p udp -m udp --dport ${p} -j ACCEPT`);
  const forward = [
    `-A FORWARD ${lan} -p tcp -j REJECT --reject-with tcp-reset`,
    `-A FORWARD ${lan} -j REJECT --reject-with icmp6-adm-prohibited`,
  ];
  return [...header(plan, 'IPv6', extra), ...table('filter', { INPUT: 'DROP', FORWARD: 'DROP' }, [...input, ...forward]), ''].join('\n');
}

/** The whole firewall for a config. Throws FirewallConfigError on any unsafe or inconsistent input. */
export function generateFirewall(input: FirewallConfig): FirewallPlan {
  const config = validateFirewallConfig(input);
  const hash = firewallConfigHash(config);
  const rules: PolicyRule[] = [
    { family: 4, priority: RULE_PRIORITY_TPROXY_MARK, fwmark: TPROXY_MARK, table: LOCAL_ROUTE_TABLE },
    { family: 4, priority: RULE_PRIORITY_LAN_LOCAL, iif: config.lan.interface, table: LOCAL_ROUTE_TABLE },
    { family: 6, priority: RULE_PRIORITY_LAN_LOCAL, iif: config.lan.interface, table: LOCAL_ROUTE_TABLE },
  ];
  const routes: LocalRoute[] = [
    { family: 4, table: LOCAL_ROUTE_TABLE },
    { family: 6, table: LOCAL_ROUTE_TABLE },
  ];
  const sysctls = [...FORWARDING_SYSCTLS];
  const also = (family: 4 | 6): string[] => [
    'Applied with it by `garlicgate firewall apply`:',
    ...sysctls.filter((s) => s.key.startsWith(family === 4 ? 'net.ipv4.' : 'net.ipv6.')).map((s) => `  sysctl -w ${s.key}=${s.value}`),
    ...rules.filter((r) => r.family === family).map((r) => `  ip -${family} rule add ${ruleSelectorArgs(r).join(' ')}`),
    ...routes.filter((r) => r.family === family).map((r) => `  ip -${family} route replace ${localRouteArgs(r).join(' ')}`),
  ];
  const base = { hash, config };
  return { config, hash, ipv4: ipv4Document(base, also(4)), ipv6: ipv6Document(base, also(6)), rules, routes, sysctls };
}

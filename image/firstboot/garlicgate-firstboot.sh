#!/bin/sh
# GarlicGate first boot (systemd/appliance/garlicgate-firstboot.service), installed in the image as
# /usr/local/lib/garlicgate/garlicgate-firstboot. Runs as root before the network is configured.
#
# Once, on the first boot:
#   - grows the root partition and its ext4 file system to the whole card (growpart, resize2fs);
#   - gives the box its own hostname, garlicgate-xxxx (from the machine id systemd generated);
#   - generates its own SSH host keys (the image has none);
#   (the router's keys are made by the router itself when it first starts, moments later; the
#   image holds none either.)
# On the first boot, and on any boot that finds a garlicgate.txt on the boot partition:
#   - applies the settings of garlicgate.txt (see garlicgate.txt.example beside it): Wi-Fi country,
#     network and passphrase, LAN interface and address, WAN interface and optional static address,
#     SSH public keys for root (which opens SSH from the LAN: gateway.lan.ssh);
#     then deletes the file (it may hold the Wi-Fi passphrase);
#   - writes the config's [gateway] section (LAN and WAN interfaces and addresses): the firewall unit,
#     which runs next, generates the systemd-networkd files from it (src/gateway/networkd.ts);
#   - prints the admin URL on the console, also shown above every login prompt (/etc/issue.d).
set -eu

BOOT=/boot/firmware
TXT=$BOOT/garlicgate.txt
CONF=/etc/garlicgate/garlicgate.conf
STATE=/var/lib/garlicgate-firstboot
# Where this script wrote the networkd files before garlicgate generated them (they would win over
# the generated ones in /run/systemd/network): removed.
OLD_NETDIR=/etc/systemd/network

say() { echo "garlicgate-firstboot: $*"; }
warn() { echo "garlicgate-firstboot: WARNING: $*"; }
matches() { printf '%s' "$2" | grep -Eqx -- "$1"; }

IFACE_RE='[A-Za-z0-9][A-Za-z0-9_.-]{0,14}'
OCTET='(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
IPV4_RE="$OCTET(\.$OCTET){3}"
PREFIX_RE="$IPV4_RE/([89]|[12][0-9]|30)"
SSH_KEY_RE='(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]{32,1400}={0,3}( [ -~]{1,200})?'

# The current values: the config's [gateway] section.
ini_get() { # section key
  awk -v s="$1" -v k="$2" '
    /^[ \t]*\[/ { gsub(/[][ \t]/, ""); sec = $0; next }
    sec == s && $0 ~ "^[ \t]*" k "[ \t]*=" { sub(/^[^=]*=[ \t]*/, ""); sub(/[ \t]+$/, ""); v = $0 }
    END { print v }' "$CONF"
}
ini_set() { # section key value (values are validated before); a missing key is added to its section
  tmp=$(mktemp "$CONF.XXXXXX")
  awk -v s="$1" -v k="$2" -v v="$3" '
    function line() { return v == "" ? k " =" : k " = " v }
    function flush() { if (sec == s && !done) { print line(); done = 1 } }
    /^[ \t]*\[/ { t = $0; gsub(/[][ \t]/, "", t); flush(); sec = t; print; next }
    sec == s && $0 ~ "^[ \t]*" k "[ \t]*=" { print line(); done = 1; next }
    { print }
    END { flush(); if (!done) { print ""; print "[" s "]"; print line() } }' "$CONF" > "$tmp"
  chown --reference="$CONF" "$tmp"
  chmod --reference="$CONF" "$tmp"
  mv "$tmp" "$CONF"
}

mkdir -p "$STATE"
first_boot=no
[ -e "$STATE/done" ] || first_boot=yes

# ---- garlicgate.txt ----------------------------------------------------------------------------------
country=""; wifi_ssid=""; wifi_psk=""; wan_address=""; wan_gateway=""; wan_dns=""; ssh_keys=""
lan_interface=$(ini_get gateway lan.interface)
lan_address=$(ini_get gateway lan.address)
wan_interface=$(ini_get gateway wan.interface)
have_txt=no
if [ -f "$TXT" ]; then
  have_txt=yes
  say "reading $TXT"
  # key=value lines; # comments; CRLF from Windows editors tolerated. Each value is checked.
  while IFS= read -r line || [ -n "$line" ]; do
    line=$(printf '%s' "$line" | tr -d '\r')
    case "$line" in ''|'#'*) continue ;; esac
    key=$(printf '%s' "${line%%=*}" | tr -d ' \t')
    value=$(printf '%s' "${line#*=}" | sed -e 's/^[ \t]*//' -e 's/[ \t]*$//')
    [ "$key" != "$line" ] || { warn "ignored a line without '=' in garlicgate.txt"; continue; }
    case "$key" in
      country) value=$(printf '%s' "$value" | tr a-z A-Z)
        if matches '[A-Z]{2}' "$value"; then country=$value; else warn "country: '$value' is not a two-letter code"; fi ;;
      wifi_ssid) if [ ${#value} -ge 1 ] && [ ${#value} -le 32 ]; then wifi_ssid=$value; else warn "wifi_ssid: 1 to 32 characters"; fi ;;
      wifi_psk) if matches '[ -~]{8,63}|[0-9a-fA-F]{64}' "$value"; then wifi_psk=$value; else warn "wifi_psk: 8 to 63 printable characters (or 64 hex digits)"; fi ;;
      lan_interface) if matches "$IFACE_RE" "$value"; then lan_interface=$value; else warn "lan_interface: '$value' is not an interface name"; fi ;;
      lan_address) if matches "$PREFIX_RE" "$value"; then lan_address=$value; else warn "lan_address: '$value' is not an IPv4 address with prefix (192.168.42.1/24)"; fi ;;
      wan_interface) if matches "$IFACE_RE" "$value"; then wan_interface=$value; else warn "wan_interface: '$value' is not an interface name"; fi ;;
      wan_address) if matches "$PREFIX_RE" "$value"; then wan_address=$value; else warn "wan_address: '$value' is not an IPv4 address with prefix"; fi ;;
      wan_gateway) if matches "$IPV4_RE" "$value"; then wan_gateway=$value; else warn "wan_gateway: '$value' is not an IPv4 address"; fi ;;
      wan_dns) if matches "$IPV4_RE( *, *$IPV4_RE)*" "$value"; then wan_dns=$(printf '%s' "$value" | tr -d ' ' | tr ',' ' '); else warn "wan_dns: '$value' is not a list of IPv4 addresses"; fi ;;
      ssh_key)
        # One OpenSSH public key per ssh_key= line, checked by ssh-keygen itself.
        keyfile=$(mktemp)
        printf '%s\n' "$value" > "$keyfile"
        if matches "$SSH_KEY_RE" "$value" && ssh-keygen -l -f "$keyfile" >/dev/null 2>&1; then
          ssh_keys="$ssh_keys$value
"
        else
          warn "ssh_key: not an OpenSSH public key (ssh-ed25519 AAAA... comment)"
        fi
        rm -f "$keyfile" ;;
      *) warn "unknown setting '$key' in garlicgate.txt (see garlicgate.txt.example)" ;;
    esac
  done < "$TXT"
  if [ "$lan_interface" = "$wan_interface" ]; then
    warn "lan_interface and wan_interface are both $lan_interface; keeping the previous interfaces"
    lan_interface=$(ini_get gateway lan.interface)
    wan_interface=$(ini_get gateway wan.interface)
  fi
fi

# ---- once: root file system, hostname, SSH host keys --------------------------------------------------
if [ "$first_boot" = yes ]; then
  rootdev=$(findmnt -no SOURCE /)
  disk=/dev/$(lsblk -no PKNAME "$rootdev")
  partnum=$(cat "/sys/class/block/$(basename "$rootdev")/partition")
  before=$(df -BM --output=size / | tail -n 1 | tr -d ' ')
  if growpart "$disk" "$partnum"; then
    resize2fs "$rootdev"
    say "root file system grown from $before to $(df -BM --output=size / | tail -n 1 | tr -d ' ') ($rootdev)"
  else
    say "root file system already fills $disk ($before)"
  fi

  suffix=$(head -c 4 /etc/machine-id 2>/dev/null || true)
  matches '[0-9a-f]{4}' "$suffix" || suffix=$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
  name="garlicgate-$suffix"
  echo "$name" > /etc/hostname
  sed -i "/^127\.0\.1\.1[[:space:]]/d" /etc/hosts
  echo "127.0.1.1	$name" >> /etc/hosts
  hostname "$name"
  say "hostname $name"

  # The image has none (image/customize.sh removed them): each box makes its own.
  ssh-keygen -A >/dev/null
  say "SSH host keys: $(for f in /etc/ssh/ssh_host_*_key.pub; do ssh-keygen -lf "$f" | awk '{print $2 " (" $NF ")"}'; done | paste -sd' ' -)"
fi

# ---- settings: config, network, Wi-Fi ------------------------------------------------------------------
if [ "$first_boot" = yes ] || [ "$have_txt" = yes ]; then
  cp -p "$CONF" "$STATE/conf.previous" 2>/dev/null || true
  ini_set gateway lan.interface "$lan_interface"
  ini_set gateway lan.address "$lan_address"
  ini_set gateway wan.interface "$wan_interface"
  ini_set gateway wan.address "$wan_address"
  ini_set gateway wan.gateway "$wan_gateway"
  ini_set gateway wan.dns "$(printf '%s' "$wan_dns" | tr ' ' ',')"
  # SSH keys for root: then SSH is open from the LAN (keys only: sshd_config.d/garlicgate.conf).
  if [ -n "$ssh_keys" ]; then
    install -d -m 0700 /root/.ssh
    { cat /root/.ssh/authorized_keys 2>/dev/null || true; printf '%s' "$ssh_keys"; } | awk 'NF && !seen[$0]++' > /root/.ssh/authorized_keys.new
    chmod 0600 /root/.ssh/authorized_keys.new
    mv /root/.ssh/authorized_keys.new /root/.ssh/authorized_keys
    ini_set gateway lan.ssh true
    say "SSH: $(printf '%s' "$ssh_keys" | grep -c .) key(s) for root; SSH from the LAN on"
  fi
  # The router's own validation (the firewall and DHCP generators refuse what they cannot use).
  if ! problem=$(/usr/bin/garlicgate firewall print 2>&1 >/dev/null) || ! /usr/bin/garlicgate dhcp print >/dev/null 2>&1; then
    warn "these LAN/WAN settings are refused ($problem); keeping the previous ones"
    cp -p "$STATE/conf.previous" "$CONF"
    lan_interface=$(ini_get gateway lan.interface)
    lan_address=$(ini_get gateway lan.address)
    wan_interface=$(ini_get gateway wan.interface)
    wan_address=$(ini_get gateway wan.address)
  fi
  # garlicgate-firewall.service (next) writes the networkd files of these settings to
  # /run/systemd/network; files of the same name in /etc would take precedence.
  rm -f "$OLD_NETDIR"/10-garlicgate-lan.network "$OLD_NETDIR"/20-garlicgate-wan.network
  say "LAN $lan_interface $lan_address; WAN $wan_interface ${wan_address:-DHCP}"

  if [ -n "$country" ]; then
    echo "options cfg80211 ieee80211_regdom=$country" > /etc/modprobe.d/garlicgate-wifi-country.conf
    iw reg set "$country" 2>/dev/null || true
    say "Wi-Fi country $country"
  fi
  case "$wan_interface" in
    wl*)
      conf=/etc/wpa_supplicant/wpa_supplicant-$wan_interface.conf
      if [ -n "$wifi_ssid" ]; then
        [ -n "$country" ] || country=$(sed -n 's/^country=//p' "$conf" 2>/dev/null || true)
        ssid_hex=$(printf '%s' "$wifi_ssid" | od -An -tx1 | tr -d ' \n')
        umask 077
        mkdir -p /etc/wpa_supplicant
        {
          echo "# Written by garlicgate-firstboot from garlicgate.txt."
          echo "ctrl_interface=DIR=/run/wpa_supplicant GROUP=netdev"
          echo "update_config=0"
          [ -z "$country" ] || echo "country=$country"
          echo "network={"
          echo "	ssid=$ssid_hex"
          if [ -z "$wifi_psk" ]; then
            echo "	key_mgmt=NONE"
          elif matches '[0-9a-fA-F]{64}' "$wifi_psk"; then
            echo "	psk=$wifi_psk"
          else
            # Only the derived key is stored, not the passphrase.
            wpa_passphrase "$wifi_ssid" "$wifi_psk" | sed -n 's/^[[:space:]]*psk=\([0-9a-f]\{64\}\)$/	psk=\1/p'
          fi
          echo "}"
        } > "$conf"
        umask 022
        systemctl --no-reload enable "wpa_supplicant@$wan_interface.service" >/dev/null 2>&1
        systemctl --no-block start "wpa_supplicant@$wan_interface.service" || true
        say "Wi-Fi network '$wifi_ssid' on $wan_interface"
      elif [ ! -e "$conf" ]; then
        warn "the WAN is $wan_interface but no Wi-Fi network is set: put wifi_ssid and wifi_psk in garlicgate.txt on the boot partition, or use wan_interface=eth0"
      fi
      ;;
  esac

  if [ "$have_txt" = yes ]; then
    rm -f "$TXT"
    say "applied and deleted $TXT"
  fi
  rm -f "$STATE/conf.previous"
fi

# ---- the admin URL ----------------------------------------------------------------------------------------
port=$(ini_get http port)
url="http://${lan_address%/*}:${port:-7070}/"
mkdir -p /etc/issue.d
printf 'GarlicGate \\n: admin page %s (from the LAN, %s); set the admin password there at the first visit.\n\n' "$url" "$lan_interface" > /etc/issue.d/garlicgate.issue
cat <<MSG

==========================================================================
  GarlicGate $(hostname) is ready to be set up.
  Admin page: $url  (from a device on the LAN, $lan_interface)
  Set the admin password there at the first visit.
==========================================================================

MSG

touch "$STATE/done"

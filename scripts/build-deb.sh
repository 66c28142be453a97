#!/usr/bin/env bash
# Builds the garlicgate Debian package: the compiled router (dist/src), its production node_modules,
# the reseed certificates, the systemd units (systemd/) and the maintainer scripts (image/deb/).
# It installs on Debian 13 (trixie) and on Raspberry Pi OS / Debian releases whose nodejs is >= 20.19;
# the appliance image (scripts/build-image.sh) installs it too.
#
#   scripts/build-deb.sh [--out=DIR] [--no-compile]   prints the path of the .deb on its last line
#
# --no-compile packs dist/ as it is (the tests use it right after `npm run build`).
#
# Layout: /usr/lib/garlicgate (the application), /usr/bin/garlicgate (the command), units in
# /usr/lib/systemd/system, the user in /usr/lib/sysusers.d, the default config in
# /usr/share/garlicgate (copied to /etc/garlicgate/garlicgate.conf on first install only), keys and
# state in /var/lib/garlicgate. Neither of the last two is part of the package: updates keep them.
#
# The dependencies are pure JavaScript, so the package is Architecture: all. Should a native addon
# ever appear in node_modules, this script stops: it would have to be built for arm64 (see
# shared notes: gcc-aarch64-linux-gnu or the arm64 chroot).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$REPO/out/deb"
COMPILE=1
for arg in "$@"; do
  case "$arg" in
    --out=*) OUT=${arg#--out=} ;;
    --no-compile) COMPILE=0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d;s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-deb: unknown argument $arg" >&2; exit 2 ;;
  esac
done
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$REPO"

log() { echo "build-deb: $*" >&2; }

# The version: package.json's, plus the commit count and hash when built from git, so that every
# commit's package is newer than the one before (apt upgrades to it).
VERSION=$(node -p 'require("./package.json").version')
if git rev-parse --git-dir >/dev/null 2>&1; then
  VERSION="$VERSION+git$(git rev-list --count HEAD).$(git rev-parse --short=8 HEAD)"
  git diff --quiet HEAD -- src package.json package-lock.json systemd image/deb 2>/dev/null || VERSION="$VERSION.dirty"
fi

if [ "$COMPILE" = 1 ]; then
  log "building (npm run build: tsc and the admin page)"
  [ -x node_modules/.bin/tsc ] || npm ci --no-audit --no-fund >&2
  npm run build --silent >&2
fi
[ -f dist/src/cli.js ] || { log "dist/src/cli.js is missing: build first (npm run build)"; exit 1; }
[ -f webui/dist/index.html ] || [ ! -d webui/src ] || { log "webui/dist is missing: build first (npm run build)"; exit 1; }

STAGE=$(mktemp -d "$OUT/.stage.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
PKG="$STAGE/root"
APP="$PKG/usr/lib/garlicgate"
mkdir -p "$APP/dist" "$PKG/DEBIAN"

# The application: compiled sources (no tests, no benchmarks, no source maps), certificates,
# package.json (the version is read from it) and the production dependencies, installed from the
# lock file exactly as in development, without install scripts.
cp -r dist/src "$APP/dist/src"
cp -r certificates "$APP/certificates"
# The admin UI's web page (src/admin/server.ts serves <app>/webui/dist).
if [ -d webui/dist ]; then
  mkdir -p "$APP/webui"
  cp -r webui/dist "$APP/webui/dist"
fi
cp package.json package-lock.json "$APP/"
log "installing production dependencies (npm ci --omit=dev)"
(cd "$APP" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
rm -f "$APP/package-lock.json" "$APP/node_modules/.package-lock.json"
# Source maps are of no use at run time (node runs without --enable-source-maps).
find "$APP" -name '*.map' -type f -delete
native=$(find "$APP/node_modules" \( -name '*.node' -o -name binding.gyp \) -print | head -5)
if [ -n "$native" ]; then
  log "native code in node_modules; it must be built for arm64 first:"
  echo "$native" >&2
  exit 1
fi

# The command: the system's own config and data unless --datadir/--conf are given (the last
# occurrence of an option wins, so the caller's come after these).
install -D -m 0755 /dev/stdin "$PKG/usr/bin/garlicgate" <<'EOF'
#!/bin/sh
# GarlicGate (installed by the garlicgate package). Without --datadir/--conf, the command works on
# the system's router: /var/lib/garlicgate and /etc/garlicgate/garlicgate.conf.
set -- --datadir=/var/lib/garlicgate "$@"
[ -e /etc/garlicgate/garlicgate.conf ] && set -- --conf=/etc/garlicgate/garlicgate.conf "$@"
exec /usr/bin/node /usr/lib/garlicgate/dist/src/cli.js "$@"
EOF

# systemd units, the i2pd drop-in, the system user.
UNITS="$PKG/usr/lib/systemd/system"
mkdir -p "$UNITS/i2pd.service.d"
for f in systemd/*.service systemd/*.socket systemd/*.path systemd/*.timer systemd/*.target; do
  install -m 0644 "$f" "$UNITS/"
done
install -m 0644 systemd/i2pd.service.d/garlicgate.conf "$UNITS/i2pd.service.d/garlicgate.conf"
install -D -m 0644 systemd/garlicgate.sysusers "$PKG/usr/lib/sysusers.d/garlicgate.conf"

# Default configuration and documentation.
install -D -m 0644 image/deb/garlicgate.conf "$PKG/usr/share/garlicgate/garlicgate.conf"
install -D -m 0644 README.md "$PKG/usr/share/doc/garlicgate/README.md"
[ ! -f docs/api.md ] || install -D -m 0644 docs/api.md "$PKG/usr/share/doc/garlicgate/api.md"
install -D -m 0644 image/deb/copyright "$PKG/usr/share/doc/garlicgate/copyright"

for s in postinst prerm postrm; do
  install -m 0755 "image/deb/$s" "$PKG/DEBIAN/$s"
done

SIZE_KB=$(du -sk --exclude=DEBIAN "$PKG" | cut -f1)
cat > "$PKG/DEBIAN/control" <<EOF
Package: garlicgate
Version: $VERSION
Architecture: all
Maintainer: GarlicGate developers <garlicgate@localhost>
Installed-Size: $SIZE_KB
Depends: nodejs (>= 20.19), systemd (>= 247), init-system-helpers (>= 1.65), iptables, iproute2, dnsmasq-base
Recommends: i2pd
Section: net
Priority: optional
Homepage: file:///usr/share/doc/garlicgate/README.md
Description: I2P gateway appliance: I2P router, LAN gateway and admin web UI
 GarlicGate is an I2P router written in TypeScript with a LAN gateway: a DNS
 server that gives .i2p names virtual addresses, a transparent proxy into I2P
 streams and a fail-closed firewall, so that devices on the LAN reach .i2p
 sites without proxy settings and without clearnet leaks.
 .
 The LAN gateway (firewall, sockets, DHCP) is enabled with
 "systemctl enable --now garlicgate-gateway.target"; the appliance image does
 that. Until GarlicGate carries I2P streams itself, the gateway opens them
 through i2pd's SAM bridge.
EOF

DEB="$OUT/garlicgate_${VERSION}_all.deb"
rm -f "$DEB"
dpkg-deb --root-owner-group -Zxz --build "$PKG" "$DEB" >&2
log "$(du -h "$DEB" | cut -f1) $DEB"
echo "$DEB"

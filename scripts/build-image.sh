#!/usr/bin/env bash
# Builds the GarlicGate appliance: an arm64 Raspberry Pi SD-card image (Pi 3/4/5, Zero 2 W) from
# Debian 13 (trixie) packages only, with the garlicgate .deb (scripts/build-deb.sh) installed.
#
#   scripts/build-image.sh [--out=DIR] [--deb=FILE] [--arch=arm64|amd64] [--rootfs-only] [--no-cache]
#
# Steps (each timed; the times and sizes go to DIR/build-info.json and are printed at the end):
#   1. host tools: mmdebstrap, qemu-user-static + binfmt_misc for arm64, mtools, dosfstools, zstd...
#      (installed with apt-get when missing);
#   2. the base tree: mmdebstrap of image/packages.txt, cached as DIR/cache/base-<arch>-<hash>.tar
#      (the hash covers the package list and the mmdebstrap options; --no-cache rebuilds it);
#   3. the .deb (scripts/build-deb.sh), unless --deb is given;
#   4. the appliance tree: the base unpacked, then image/customize.sh in a private mount namespace
#      (installs the .deb, the appliance's files from image/overlay and systemd/appliance, enables
#      the units, removes machine-specific files, runs systemd-analyze verify);
#   5. the image (not with --rootfs-only): a FAT boot partition (mkfs.vfat + mcopy) and an ext4 root
#      (mkfs.ext4 -d), an MBR written by sfdisk into a plain file — no loop devices, no mounts —
#      compressed with zstd, with its SHA-256.
#
# --arch=amd64 --rootfs-only builds the same tree for this machine's architecture without the
# kernel and firmware (no emulation): the quick check in CI (test/e2e/image-tree.test.ts) inspects it.
# Runs as root (mmdebstrap's root mode, chroot). Heavy steps run under `nice -n 19`.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$REPO/out/image"
DEB=""
ARCH=arm64
ROOTFS_ONLY=0
USE_CACHE=1
SUITE=trixie
MIRROR=http://deb.debian.org/debian
SECURITY_MIRROR=http://deb.debian.org/debian-security
# Sizes of the image's partitions (MiB). The root partition is grown to fill the card at first boot.
BOOT_MB=256
FIRST_PARTITION_MB=4

for arg in "$@"; do
  case "$arg" in
    --out=*) OUT=${arg#--out=} ;;
    --deb=*) DEB=${arg#--deb=} ;;
    --arch=*) ARCH=${arg#--arch=} ;;
    --rootfs-only) ROOTFS_ONLY=1 ;;
    --no-cache) USE_CACHE=0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d;s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-image: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done
case "$ARCH" in arm64|amd64) ;; *) echo "build-image: --arch must be arm64 or amd64" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "build-image: must run as root (mmdebstrap root mode, chroot)" >&2; exit 1; }
[ "$ARCH" = arm64 ] || [ "$ROOTFS_ONLY" = 1 ] || { echo "build-image: an image needs --arch=arm64 (amd64 is for --rootfs-only checks)" >&2; exit 2; }

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
LOG="$OUT/build-$ARCH.log"
: > "$LOG"
export TMPDIR="$OUT/tmp"
mkdir -p "$TMPDIR"

declare -A STAGE_SECONDS=()
stage_start=0
say() { echo "build-image: $*" | tee -a "$LOG" >&2; }
begin() { stage_start=$SECONDS; say "== $1"; }
end() { STAGE_SECONDS[$1]=$((SECONDS - stage_start)); say "   $1: ${STAGE_SECONDS[$1]} s"; }

# ---- 1. host tools -------------------------------------------------------------------------------
begin "host tools"
need=()
need_cmd() { command -v "$1" >/dev/null 2>&1 || need+=("$2"); }
need_cmd mmdebstrap mmdebstrap
need_cmd dpkg-deb dpkg
need_cmd unshare util-linux
if [ "$ROOTFS_ONLY" = 0 ]; then
  need_cmd zstd zstd
  need_cmd sfdisk fdisk
  need_cmd mkfs.ext4 e2fsprogs
  need_cmd mkfs.vfat dosfstools
  need_cmd mcopy mtools
fi
if [ "$ARCH" != "$(dpkg --print-architecture)" ]; then
  need_cmd qemu-aarch64-static qemu-user-static
  need_cmd update-binfmts binfmt-support
  need_cmd arch-test arch-test
fi
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${need[@]}" >>"$LOG" 2>&1 ||
    { apt-get update -q >>"$LOG" 2>&1 && apt-get install -y -q --no-install-recommends "${need[@]}" >>"$LOG" 2>&1; }
fi
if [ "$ARCH" != "$(dpkg --print-architecture)" ]; then
  # mmdebstrap runs the arm64 maintainer scripts through qemu-user: binfmt_misc must be mounted and
  # the qemu-aarch64 handler enabled (a fresh container has neither).
  if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  fi
  if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    update-binfmts --enable qemu-aarch64 >>"$LOG" 2>&1
  fi
  arch-test arm64 >>"$LOG" 2>&1 || { say "arm64 binaries do not run here (binfmt_misc/qemu-user); see $LOG"; exit 1; }
fi
end "host tools"

# ---- 2. the base tree (cached) -------------------------------------------------------------------------
begin "base tree"
packages=$(sed -e 's/#.*//' "$REPO/image/packages.txt" | awk -v arch="$ARCH" '
  NF == 0 { next }
  NF == 1 { print $1; next }
  $2 == "[" arch "]" { print $1 }')
include=$(echo "$packages" | paste -sd, -)
MMDEBSTRAP_OPTS=(
  --mode=root
  --variant=apt
  --architectures="$ARCH"
  --components="main non-free-firmware"
  --include="$include"
  --aptopt='APT::Install-Recommends "false"'
  --aptopt='Acquire::Retries "3"'
  # Documentation and translations are of no use on the appliance (copyright files are kept).
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-include=/usr/share/locale/locale.alias'
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
)
SOURCES=(
  "deb $MIRROR $SUITE main non-free-firmware"
  "deb $MIRROR $SUITE-updates main non-free-firmware"
  "deb $SECURITY_MIRROR $SUITE-security main non-free-firmware"
)
key=$(printf '%s\n' "$SUITE" "$ARCH" "${MMDEBSTRAP_OPTS[@]}" "${SOURCES[@]}" | sha256sum | cut -c1-16)
BASE="$OUT/cache/base-$ARCH-$key.tar"
mkdir -p "$OUT/cache"
if [ "$USE_CACHE" = 1 ] && [ -s "$BASE" ]; then
  say "   cached: $BASE ($(date -r "$BASE" '+%F %T'))"
  BASE_CACHED=true
else
  BASE_CACHED=false
  rm -f "$BASE.part"
  say "   mmdebstrap $SUITE $ARCH: $(echo "$packages" | wc -l) packages (log: $LOG)"
  nice -n 19 mmdebstrap "${MMDEBSTRAP_OPTS[@]}" --format=tar "$SUITE" "$BASE.part" "${SOURCES[@]}" >>"$LOG" 2>&1 ||
    { say "mmdebstrap failed; the end of $LOG:"; tail -n 30 "$LOG" >&2; exit 1; }
  mv "$BASE.part" "$BASE"
  # Older bases of this architecture are of no further use.
  find "$OUT/cache" -maxdepth 1 -name "base-$ARCH-*.tar" ! -name "$(basename "$BASE")" -delete
fi
end "base tree"

# ---- 3. the .deb ------------------------------------------------------------------------------------
begin "deb"
if [ -z "$DEB" ]; then
  DEB=$("$REPO/scripts/build-deb.sh" --out="$OUT/deb" 2>>"$LOG" | tail -n 1)
fi
[ -f "$DEB" ] || { say "no .deb at '$DEB' (see $LOG)"; exit 1; }
DEB=$(cd "$(dirname "$DEB")" && pwd)/$(basename "$DEB")
say "   $DEB"
end "deb"

# ---- 4. the appliance tree ------------------------------------------------------------------------------
begin "appliance tree"
ROOTFS="$OUT/rootfs-$ARCH"
rm -rf "$ROOTFS"
mkdir -p "$ROOTFS"
tar -xpf "$BASE" --numeric-owner -C "$ROOTFS"
# A private mount namespace: the chroot's /proc, /sys, /dev and /run vanish with it, even on failure.
nice -n 19 unshare --mount --propagation private -- \
  bash "$REPO/image/customize.sh" "$ROOTFS" "$DEB" "$ARCH" "$REPO" >>"$LOG" 2>&1 ||
  { say "customize failed; the end of $LOG:"; tail -n 40 "$LOG" >&2; exit 1; }
ROOTFS_MB=$(du -sxm "$ROOTFS" | cut -f1)
say "   $ROOTFS: $ROOTFS_MB MiB"
end "appliance tree"

write_info() {
  local img_bytes=${1:-null} zst_bytes=${2:-null} sha=${3:-}
  local versions
  versions=$(for p in nodejs systemd i2pd dnsmasq-base iptables linux-image-arm64 raspi-firmware garlicgate; do
    v=$(chroot "$ROOTFS" dpkg-query -W -f='${Version}' "$p" 2>/dev/null || true)
    [ -n "$v" ] && printf '"%s":"%s",' "$p" "$v"
  done)
  local stages=""
  for s in "${!STAGE_SECONDS[@]}"; do stages+="\"$s\":${STAGE_SECONDS[$s]},"; done
  cat > "$OUT/build-info-$ARCH.json" <<EOF
{
  "date": "$(date -u +%FT%TZ)",
  "arch": "$ARCH",
  "suite": "$SUITE",
  "baseCached": $BASE_CACHED,
  "stageSeconds": {${stages%,}},
  "totalSeconds": $SECONDS,
  "rootfsMiB": $ROOTFS_MB,
  "imageBytes": $img_bytes,
  "compressedBytes": $zst_bytes,
  "sha256": "$sha",
  "image": "${IMAGE_NAME:-}",
  "versions": {${versions%,}}
}
EOF
}

if [ "$ROOTFS_ONLY" = 1 ]; then
  write_info
  say "done in $SECONDS s: $ROOTFS"
  exit 0
fi

# ---- 5. the image ---------------------------------------------------------------------------------------
begin "image"
VERSION=$(dpkg-deb -f "$DEB" Version)
IMAGE_NAME="garlicgate-${VERSION//[^A-Za-z0-9.+~-]/_}-rpi-arm64.img"
WORK="$OUT/work"
rm -rf "$WORK"
mkdir -p "$WORK/boot"
# The boot partition's files leave the root tree: /boot/firmware is their mount point there.
cp -a "$ROOTFS/boot/firmware/." "$WORK/boot/"
find "$ROOTFS/boot/firmware" -mindepth 1 -delete
# FAT32 boot partition: what the Pi's firmware reads (config.txt, cmdline.txt, start*.elf, DTBs,
# kernel, initrd) plus garlicgate.txt.example.
mkfs.vfat -C -F 32 -n GG-BOOT "$WORK/boot.vfat" $((BOOT_MB * 1024)) >>"$LOG"
mcopy -s -p -m -i "$WORK/boot.vfat" "$WORK/boot/"* ::/
# ext4 root: the tree's size plus a quarter and 256 MiB of room, in whole 4 MiB.
ROOT_MB=$(( (ROOTFS_MB * 5 / 4 + 256 + 3) / 4 * 4 ))
nice -n 19 mkfs.ext4 -q -L gg-root -d "$ROOTFS" -E lazy_itable_init=1 -O ^orphan_file "$WORK/root.ext4" "${ROOT_MB}M" >>"$LOG" 2>&1
cp -a "$WORK/boot/." "$ROOTFS/boot/firmware/"   # the tree stays complete for later inspection
# The disk: MBR (every Pi's boot ROM reads it), boot partition from 4 MiB, root after it.
IMG="$OUT/$IMAGE_NAME"
rm -f "$IMG" "$IMG.zst" "$IMG.zst.sha256"
truncate -s $(( (FIRST_PARTITION_MB + BOOT_MB + ROOT_MB) * 1024 * 1024 )) "$IMG"
sfdisk --quiet "$IMG" >>"$LOG" 2>&1 <<EOF
label: dos
unit: sectors
start=$((FIRST_PARTITION_MB * 2048)), size=$((BOOT_MB * 2048)), type=c, bootable
start=$(( (FIRST_PARTITION_MB + BOOT_MB) * 2048 )), size=$((ROOT_MB * 2048)), type=83
EOF
dd if="$WORK/boot.vfat" of="$IMG" bs=1M seek=$FIRST_PARTITION_MB conv=notrunc,sparse status=none
dd if="$WORK/root.ext4" of="$IMG" bs=1M seek=$((FIRST_PARTITION_MB + BOOT_MB)) conv=notrunc,sparse status=none
rm -rf "$WORK"
IMG_BYTES=$(stat -c %s "$IMG")
end "image"

begin "compress"
nice -n 19 zstd -q -6 -T2 --rm "$IMG" -o "$IMG.zst"
(cd "$OUT" && sha256sum "$IMAGE_NAME.zst" > "$IMAGE_NAME.zst.sha256")
ZST_BYTES=$(stat -c %s "$IMG.zst")
end "compress"

write_info "$IMG_BYTES" "$ZST_BYTES" "$(cut -d' ' -f1 "$IMG.zst.sha256")"
say "done in $SECONDS s: $IMG.zst ($((ZST_BYTES / 1048576)) MiB compressed, $((IMG_BYTES / 1048576)) MiB raw)"
say "sha256: $(cat "$IMG.zst.sha256")"
echo "$IMG.zst"

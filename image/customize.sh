#!/bin/bash
# Turns the base tree (mmdebstrap of image/packages.txt) into the appliance's root file system.
# Run by scripts/build-image.sh as root inside a private mount namespace (unshare --mount), so the
# chroot's /proc, /sys, /dev and /run disappear with it:
#
#   image/customize.sh ROOTFS DEB ARCH REPO
#
# Installs the garlicgate .deb, the appliance's configuration (image/overlay, systemd/appliance),
# the first-boot script; enables the gateway and network units; removes everything that must be
# unique per box (machine id, SSH host keys, random seed); points the Raspberry Pi boot files at
# the root partition by label; checks the units with the image's own systemd-analyze.
set -euxo pipefail

R=$1
DEB=$2
ARCH=$3
REPO=$4

mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
mount --rbind /dev "$R/dev"
mount -t tmpfs tmpfs "$R/run"
mount -t tmpfs tmpfs "$R/tmp"

in_root() {
  chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

# ---- the package ---------------------------------------------------------------------------------------
cp "$DEB" "$R/tmp/garlicgate.deb"
in_root dpkg -i /tmp/garlicgate.deb
in_root dpkg-query -W garlicgate

# ---- appliance files ---------------------------------------------------------------------------------------
cp -r --no-preserve=ownership "$REPO/image/overlay/." "$R/"
in_root chown garlicgate:garlicgate /etc/garlicgate/garlicgate.conf
chmod 0640 "$R/etc/garlicgate/garlicgate.conf"
install -D -m 0755 "$REPO/image/firstboot/garlicgate-firstboot.sh" "$R/usr/local/lib/garlicgate/garlicgate-firstboot"
install -m 0644 "$REPO/systemd/appliance/garlicgate-firstboot.service" "$REPO/systemd/appliance/garlicgate-update.service" "$R/etc/systemd/system/"
for d in journald.conf.d resolved.conf.d networkd.conf.d; do
  install -D -m 0644 "$REPO/systemd/appliance/$d/garlicgate.conf" "$R/etc/systemd/$d/garlicgate.conf"
done
for d in systemd-networkd.service.d ssh.service.d garlicgate-firewall.service.d garlicgate-reconfigure.service.d; do
  install -D -m 0644 "$REPO/systemd/appliance/$d/garlicgate.conf" "$R/etc/systemd/system/$d/garlicgate.conf"
done

cat > "$R/etc/fstab" <<FSTAB
# The appliance's SD card: partitions by label (the same on every Pi, and under qemu).
LABEL=gg-root  /               ext4  defaults,noatime,commit=60  0  1
LABEL=GG-BOOT  /boot/firmware  vfat  defaults,noatime,umask=0077,shortname=lower  0  2
FSTAB
echo garlicgate > "$R/etc/hostname"
cat > "$R/etc/hosts" <<HOSTS
127.0.0.1	localhost
127.0.1.1	garlicgate
::1		localhost ip6-localhost ip6-loopback
ff02::1		ip6-allnodes
ff02::2		ip6-allrouters
HOSTS
ln -sfn ../run/systemd/resolve/stub-resolv.conf "$R/etc/resolv.conf"

# ---- units ---------------------------------------------------------------------------------------------------
in_root systemctl enable garlicgate.service garlicgate-gateway.target garlicgate-firstboot.service garlicgate-update.service \
  systemd-networkd.service systemd-resolved.service systemd-timesyncd.service ssh.service i2pd.service
# Nothing waits for "online": the box has no network until first boot configured it, and a missing
# uplink must not hold the boot (it hung two minutes without one).
in_root systemctl mask systemd-networkd-wait-online.service
# wpasupplicant's D-Bus service is of no use here: the uplink's Wi-Fi runs wpa_supplicant@<wan>
# (enabled by first boot when garlicgate.txt names a network).
in_root systemctl disable wpa_supplicant.service

# ---- Raspberry Pi boot files -----------------------------------------------------------------------------
if [ "$ARCH" = arm64 ]; then
  cat >> "$R/etc/default/raspi-firmware" <<RASPI

# GarlicGate appliance: root by label (the same card boots every Pi model), serial console on the
# Pi 3/4 UART and the screen (the last one is where boot messages and the admin URL go), no CMA
# reservation (headless; a CMA size breaks the Pi 4).
ROOTPART="LABEL=gg-root"
CONSOLES="ttyS1,115200 tty0"
CMA=0
RASPI
  kver=$(basename "$(ls -1 "$R"/boot/vmlinuz-* | sort -V | tail -n 1)")
  kver=${kver#vmlinuz-}
  # No kernel audit messages on the console (no auditd here): the admin URL must stay readable.
  echo "audit=0" > "$R/etc/default/raspi-extra-cmdline"
  in_root env DEB_MAINT_PARAMS=configure /etc/kernel/postinst.d/z50-raspi-firmware "$kver"
  grep -q 'root=LABEL=gg-root' "$R/boot/firmware/cmdline.txt"
  cat "$R/boot/firmware/cmdline.txt" "$R/boot/firmware/config.txt"
  ls "$R/boot/firmware"
fi

# ---- nothing unique to one box --------------------------------------------------------------------------
# "uninitialized": systemd makes a machine id at the first boot and treats that boot as the first.
echo uninitialized > "$R/etc/machine-id"
rm -f "$R/var/lib/dbus/machine-id"
rm -f "$R"/etc/ssh/ssh_host_*
rm -f "$R/var/lib/systemd/random-seed" "$R/var/lib/systemd/credential.secret"
rm -rf "$R/var/lib/garlicgate/"* "$R/var/lib/i2pd/router.keys" "$R/var/lib/i2pd/router.info"

# ---- checks with the image's own systemd ---------------------------------------------------------------
units=(garlicgate.service garlicgate-firewall.service garlicgate-dhcp.service garlicgate-reconfigure.service
  garlicgate-reconfigure.path garlicgate-firewall-check.service garlicgate-firewall-check.timer garlicgate-proxy.socket garlicgate-dns-udp.socket garlicgate-dns-tcp.socket
  garlicgate-gateway.target garlicgate-firstboot.service garlicgate-update.service i2pd.service systemd-networkd.service ssh.service)
set +x # (the trace would land in the captured output)
verify=$(in_root systemd-analyze verify --man=no "${units[@]}" 2>&1) || { echo "$verify"; echo "systemd-analyze verify failed"; exit 1; }
echo "systemd-analyze verify: ${verify:-no findings}"
if [ -n "$verify" ]; then
  echo "systemd-analyze verify has findings"
  exit 1
fi
set -x

# ---- smaller ----------------------------------------------------------------------------------------------
in_root apt-get clean
rm -rf "$R"/var/lib/apt/lists/* "$R"/var/cache/apt/*.bin "$R"/var/cache/debconf/*-old "$R"/var/lib/dpkg/*-old
find "$R/var/log" -type f -delete

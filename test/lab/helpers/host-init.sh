#!/bin/bash
# PID 1 of a lab host. Started by test/lab/hosts.ts as:
#   nsenter --net=/run/netns/ksl<k>-<host> -- setpriv --bounding-set -... unshare --mount --uts --ipc --pid --fork --mount-proc bash host-init.sh
# Inputs (environment, set by hosts.ts): LAB_HOST LAB_IP LAB_OS LAB_INSTANCE LAB_REPO LAB_ROOT HOST_DIR
#   LAB_USERS (1|0) LAB_SYSTEM_BINS LAB_PACKAGE_BINS (space-separated emulator names, validated by the caller),
#   LAB_EMULATOR_DIR (optional; default $LAB_REPO/test/lab/emulators/bin), LAB_REAL_BINS (machine binaries exposed
#   read-only in /usr/lib/kubesmith-lab/real-bin), LAB_EXTRA_ENV (KEY=value lines appended to /etc/lab/env),
#   LAB_WAN (optional "RTT_MS RATE_BPS": sshd behind the WAN proxy, see step 9).
# Builds the host's private view of the machine, then runs the hooks and sshd, then idles as init.
# Any failure before "lab: ready" makes the host fail its bring-up (the caller reads this log).
set -euo pipefail
[ -z "${LAB_TRACE:-}" ] || { PS4='+ $EPOCHREALTIME '; set -x; }
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
say() { echo "lab: $*"; }
trap 'say "FAILED at line $LINENO: $BASH_COMMAND"' ERR

: "${LAB_HOST:?}" "${LAB_IP:?}" "${LAB_OS:?}" "${LAB_INSTANCE:?}" "${LAB_REPO:?}" "${LAB_ROOT:?}" "${HOST_DIR:?}"
EMU="${LAB_EMULATOR_DIR:-$LAB_REPO/test/lab/emulators/bin}"

# 1. Nothing we mount may propagate back to the machine; drop copies of other labs' netns handles
#    (they would keep those namespaces, and their veths, alive after their own `down`).
mount --make-rprivate /
if mountpoint -q /run/netns 2>/dev/null || [ -d /run/netns ]; then umount -R -l /run/netns 2>/dev/null || true; fi

# 2. Private writable layers over the machine's directories (disk kept across boots). LAB_ROOT lives under /var,
#    so reach it through a bind made before /var is covered (an overlay cannot be another overlay's upper dir).
mount -t tmpfs -o mode=0755,size=64m lab-run /run
mkdir -p /run/lab/.root /run/lab/.repo /run/lab/.machine-bin /run/lab/cluster
mount --bind "$LAB_ROOT" /run/lab/.root
mount --bind "$LAB_REPO" /run/lab/.repo
mount --bind /usr/bin /run/lab/.machine-bin   # real binaries some emulators run for real (LAB_REAL_BIN_DIR)
LAB_ROOT=/run/lab/.root
HOST_DIR="$LAB_ROOT/hosts/$LAB_HOST"
for d in etc var opt usr home srv; do   # upper/work dirs and root/ are made by hosts.ts
  mount -t overlay "lab-$d" -o "lowerdir=/$d,upperdir=$HOST_DIR/upper/$d,workdir=$HOST_DIR/work/$d" "/$d"
done
mount --bind "$HOST_DIR/root" /root
mount -t tmpfs -o mode=1777,size=256m lab-tmp /tmp
# The repository, read-only at its real path, wherever it is: right after the private /tmp and /root, which would
# hide a clone under them, and before step 6 links the emulators that live in it.
mkdir -p "$LAB_REPO"
mount --bind /run/lab/.repo "$LAB_REPO"
mount --options-source disable -o remount,bind,ro "$LAB_REPO"
umount /run/lab/.repo && rmdir /run/lab/.repo

# 3. A minimal /dev.
mount -t tmpfs -o mode=0755,size=1m lab-dev /dev
mknod -m 0666 /dev/null c 1 3; mknod -m 0666 /dev/zero c 1 5; mknod -m 0666 /dev/full c 1 7
mknod -m 0666 /dev/random c 1 8; mknod -m 0666 /dev/urandom c 1 9; mknod -m 0666 /dev/tty c 5 0
mkdir -p /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts
ln -sf pts/ptmx /dev/ptmx
mount -t tmpfs -o mode=1777,size=16m lab-shm /dev/shm
ln -sf /proc/self/fd /dev/fd; ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout; ln -sf /proc/self/fd/2 /dev/stderr

# 4. The instance's shared cluster dir, then hide the lab's own state from the host.
mount --bind "$LAB_ROOT/cluster" /run/lab/cluster
KEY_PUB="$(cat "$LAB_ROOT/id_ed25519.pub")"
HOST_KEY_DIR="$HOST_DIR/sshd"
mkdir -p /etc/lab /etc/ssh
install -m 0600 "$HOST_KEY_DIR/ssh_host_ed25519_key" /etc/ssh/lab_host_ed25519_key
install -m 0644 "$HOST_KEY_DIR/ssh_host_ed25519_key.pub" /etc/ssh/lab_host_ed25519_key.pub
FIRST_BOOT=0; [ -e /etc/lab/created ] || FIRST_BOOT=1
mount -t tmpfs -o size=4k,mode=0700 lab-hidden /var/lib/kubesmith-lab
umount /run/lab/.root && rmdir /run/lab/.root

# 5. Identity.
# First boot writes /etc/hostname and /etc/hosts; later boots keep what the host's own tools changed there.
if [ "$FIRST_BOOT" = 1 ] || [ ! -s /etc/hostname ]; then
  echo "$LAB_HOST" > /etc/hostname
  printf '127.0.0.1\tlocalhost\n%s\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$LAB_IP" "$LAB_HOST" > /etc/hosts
fi
hostname "$(head -n1 /etc/hostname)"
cat > /etc/lab/env <<EOF
LAB_HOST=$LAB_HOST
LAB_IP=$LAB_IP
LAB_OS=$LAB_OS
LAB_INSTANCE=$LAB_INSTANCE
LAB_REPO=$LAB_REPO
LAB_CLUSTER_DIR=/run/lab/cluster
EOF
if [ -n "${LAB_EXTRA_ENV:-}" ]; then printf '%s\n' "$LAB_EXTRA_ENV" >> /etc/lab/env; fi
# A fresh host starts with no emulator state, whatever stray lab files the machine's own dirs may hold.
if [ "$FIRST_BOOT" = 1 ]; then rm -rf /var/lib/lab /var/log/lab; fi
mkdir -p /var/lib/lab/faults /var/log/lab /run/lab
touch /var/log/lab/journal.log

# 6. Emulators: system ones over /usr/local/bin/<n> and over the real /usr/bin, /usr/sbin entries
#    (the entry itself is replaced, so a symlink such as reboot -> systemctl is not followed).
# One `ln` per directory (a fork per emulator would cost more than the rest of the boot).
all=(); in_bin=(); in_sbin=()
# Without these emulators a host would run the machine-wide real commands: a host that lacks one must not boot.
CRITICAL=" swapoff swapon modprobe rmmod sysctl systemctl reboot shutdown poweroff halt setenforce hostnamectl timedatectl date "
for n in ${LAB_SYSTEM_BINS:-}; do
  if [ ! -e "$EMU/$n" ]; then
    case "$CRITICAL" in *" $n "*) say "error: emulator $n ($EMU/$n) is missing: refusing to boot a host that would run the real $n"; exit 1 ;; esac
    say "warning: emulator $n listed in manifest.json but missing"; continue
  fi
  all+=("$EMU/$n")
  if [ -e "/usr/bin/$n" ] || [ -L "/usr/bin/$n" ]; then in_bin+=("$EMU/$n"); fi
  if [ -e "/usr/sbin/$n" ] || [ -L "/usr/sbin/$n" ]; then in_sbin+=("$EMU/$n"); fi
done
if [ ${#all[@]} -gt 0 ]; then ln -sf -t /usr/local/bin "${all[@]}"; fi
if [ ${#in_bin[@]} -gt 0 ]; then ln -sf -t /usr/bin "${in_bin[@]}"; fi
if [ ${#in_sbin[@]} -gt 0 ]; then ln -sf -t /usr/sbin "${in_sbin[@]}"; fi
if [ "$FIRST_BOOT" = 1 ]; then
  # Package binaries are absent on a fresh host until the emulated package manager installs them, and so is every
  # tool the persona's cloud image lacks (test/lab/personas.json): LAB_PACKAGE_BINS lists both.
  hide=()
  for n in ${LAB_PACKAGE_BINS:-}; do hide+=("/usr/bin/$n" "/usr/sbin/$n" "/usr/local/bin/$n"); done
  if [ ${#hide[@]} -gt 0 ]; then rm -f "${hide[@]}"; fi
fi

# 7. Users and keys.
mkdir -p /root/.ssh && chmod 0700 /root /root/.ssh
echo "$KEY_PUB" > /root/.ssh/authorized_keys && chmod 0600 /root/.ssh/authorized_keys
if [ "${LAB_USERS:-1}" = 1 ]; then
  if ! grep -q '^kube:' /etc/passwd; then
    # uid/gid 1000 belong to kube on a lab host, whoever has them on the machine.
    for u in $(awk -F: '$3 == 1000 { print $1 }' /etc/passwd); do
      sed -i "/^$u:/d" /etc/passwd /etc/shadow
    done
    sed -i -E '/^[^:]*:[^:]*:1000:/d' /etc/group
    echo 'kube:x:1000:1000:kube:/home/kube:/bin/bash' >> /etc/passwd
    echo 'kube:x:1000:' >> /etc/group
    echo 'kube:*:19000:0:99999:7:::' >> /etc/shadow
    grep -q '^sudo:' /etc/group && sed -i -E 's/^(sudo:[^:]*:[^:]*:)(.*)$/\1\2,kube/; s/:,kube$/:kube/' /etc/group
  fi
  mkdir -p /etc/sudoers.d /home/kube/.ssh
  echo 'kube ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/90-lab-kube && chmod 0440 /etc/sudoers.d/90-lab-kube
  echo "$KEY_PUB" > /home/kube/.ssh/authorized_keys
  chmod 0700 /home/kube /home/kube/.ssh && chmod 0600 /home/kube/.ssh/authorized_keys
  chown -R 1000:1000 /home/kube
fi

# Real machine binaries that package emulation hides, read-only in a directory of their own (a tmpfs of mount points).
real_dir=/usr/lib/kubesmith-lab/real-bin
mkdir -p "$real_dir"
mount -t tmpfs -o size=64k,mode=0755 lab-real-bin "$real_dir"
for n in ${LAB_REAL_BINS:-}; do
  if [ -f "/run/lab/.machine-bin/$n" ]; then
    touch "$real_dir/$n"
    mount --bind "/run/lab/.machine-bin/$n" "$real_dir/$n"
    mount --options-source disable -o remount,bind,ro "$real_dir/$n"
  fi
done
mount --options-source disable -o remount,bind,ro "$real_dir"
umount /run/lab/.machine-bin && rmdir /run/lab/.machine-bin


# 8. Seal: / read-only (the fstab of the machine must not be consulted), /sys read-only,
#    /proc/sys read-only except the per-netns /proc/sys/net, no sysrq.
mount --options-source disable -o remount,bind,ro /
mount -t sysfs -o ro,nosuid,nodev,noexec lab-sys /sys   # a fresh sysfs shows this netns's devices
mount --bind /proc/sys /proc/sys
mount --bind /proc/sys/net /proc/sys/net
mount --options-source disable -o remount,bind,ro /proc/sys
mount --bind /proc/sysrq-trigger /proc/sysrq-trigger 2>/dev/null && mount --options-source disable -o remount,bind,ro /proc/sysrq-trigger || true

# 9. Hooks (from the emulators, when they exist), then sshd. They see /etc/lab/env, not the lab's machine paths.
unset LAB_ROOT HOST_DIR LAB_USERS LAB_SYSTEM_BINS LAB_PACKAGE_BINS LAB_EMULATOR_DIR LAB_REAL_BINS LAB_EXTRA_ENV
cd /
if [ "$FIRST_BOOT" = 1 ] && [ -x "$EMU/lab-host-init" ]; then say "running lab-host-init"; "$EMU/lab-host-init"; fi
touch /etc/lab/created
if [ -x "$EMU/lab-boot" ]; then say "running lab-boot"; "$EMU/lab-boot"; fi

# LAB_WAN="RTT_MS RATE_BPS" (labUp's `wan`): sshd listens on loopback only and the WAN proxy
# (test/lab/wan-proxy.ts) takes LAB_IP:22, delaying and capping every byte in front of it.
SSHD_ADDR=$LAB_IP
[ -z "${LAB_WAN:-}" ] || SSHD_ADDR=127.0.0.1
cat > /etc/ssh/lab_sshd_config <<EOF
ListenAddress $SSHD_ADDR:22
HostKey /etc/ssh/lab_host_ed25519_key
PidFile /run/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
MaxSessions 20
MaxStartups 100:30:200
KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org
PrintMotd no
AcceptEnv LANG LC_*
Subsystem sftp internal-sftp
EOF
mkdir -p /run/sshd && chmod 0755 /run/sshd
/usr/sbin/sshd -f /etc/ssh/lab_sshd_config -E /var/log/lab/sshd.log
"$LAB_REPO/test/lab/helpers/wait-listen.sh" 22 10 "$SSHD_ADDR"
if [ -n "${LAB_WAN:-}" ]; then
  read -r wan_rtt wan_rate <<< "$LAB_WAN"
  node "$LAB_REPO/dist/test/lab/wan-proxy.js" "$LAB_IP:22" 127.0.0.1:22 "$wan_rtt" "$wan_rate" >> /var/log/lab/wan-proxy.log 2>&1 &
  "$LAB_REPO/test/lab/helpers/wait-listen.sh" 22 30 "$LAB_IP"
fi
say "ready"

# 10. Idle as init: block on a fifo (no child process); bash reaps orphans on SIGCHLD.
trap - ERR
set +e
mkfifo /run/lab/init.fifo
while :; do read -r _ <> /run/lab/init.fifo; done

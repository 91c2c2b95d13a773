#!/usr/bin/env bash
# tend's systemd lab, for the boot tests: a disposable systemd running as PID 1 of fresh
# pid/mount/uts/ipc/net/cgroup namespaces, on a copy-on-write overlay of this machine's own root
# filesystem. The machine's systemd, network and files are never touched. Needs root, util-linux
# (unshare, nsenter, setpriv), overlayfs, a cgroup2 hierarchy and systemd installed.
#
#   systemd-lab.sh start            boot, wait until systemd says running/degraded
#   systemd-lab.sh exec [--] CMD…   run CMD inside (every namespace, as root)
#   systemd-lab.sh reboot           power off and boot again on the same overlay
#   systemd-lab.sh stop             power off (SIGKILL after 15 s), remove cgroup and state
#   systemd-lab.sh pid              host pid of the lab's PID 1
#
# LAB_NAME     which lab (several can run at once; default "tend")
# LAB_BIND     host folders shown read-write at the same path inside (space separated)
# LAB_TIMEOUT  seconds to wait for systemd to come up (default 60)
# LAB_STATE    where labs keep their state (default /tmp/tend-systemd-lab)
set -euo pipefail

name=${LAB_NAME:-tend}
state=${LAB_STATE:-/tmp/tend-systemd-lab}/$name
self=$(readlink -f "$0")

# The cgroup2 mount: /sys/fs/cgroup (unified) or /sys/fs/cgroup/unified (hybrid layout).
cgroot=/sys/fs/cgroup
if [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null || true)" = cgroup2fs ]; then cgroot=/sys/fs/cgroup/unified; fi
cgroup=$cgroot/tend-lab-$name

fail() { printf 'systemd-lab: %s\n' "$*" >&2; exit 1; }
now() { printf '%s' "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# Units of the host image that have no business in a lab (masked in the overlay only).
masked_units=(
  getty@.service serial-getty@.service console-getty.service getty-static.service
  systemd-timesyncd.service systemd-pstore.service cron.service ssh.service
  postgresql.service postgresql@.service e2scrub_reap.service
  apt-daily.timer apt-daily-upgrade.timer man-db.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer
)

# Capabilities whose effect reaches outside any namespace: PID 1 of the lab never gets them.
dropped_caps=-sys_module,-sys_time,-syslog,-wake_alarm,-sys_rawio,-mac_admin,-mac_override,-block_suspend,-sys_pacct

running_pid() {
  local pid
  [ -s "$state/pid" ] || return 1
  pid=$(<"$state/pid")
  kill -0 "$pid" 2>/dev/null || return 1
  printf '%s\n' "$pid"
}

# Runs as PID 1 of the new namespaces, before systemd: builds the root and becomes systemd.
as_pid1() {
  # /proc is still the host's here, so this is our pid as the host sees it.
  local host_pid rest
  read -r host_pid rest </proc/self/stat
  local top=$state/mnt
  local root=$top/root
  mkdir -p "$top" "$state/upper" "$state/work"
  mount -t tmpfs -o mode=0755 lab "$top"
  mkdir "$root"
  mount -t overlay lab -o "lowerdir=/,upperdir=$state/upper,workdir=$state/work" "$root"
  local dir
  for dir in ${LAB_BIND:-}; do
    mkdir -p "$root$dir"
    mount --rbind "$dir" "$root$dir"
  done
  mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
  local ro
  for ro in /proc/sys /proc/sysrq-trigger; do
    [ -e "$root$ro" ] || continue
    mount --bind "$root$ro" "$root$ro"
    mount -o remount,bind,ro "$root$ro"
  done
  mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"
  mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$root/sys/fs/cgroup"
  # A private /dev with its own nodes: systemd changes modes in /dev, so no host node is bound.
  mount -t tmpfs -o mode=0755,nosuid lab-dev "$root/dev"
  local node
  for node in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
    IFS=: read -r dev major minor <<<"$node"
    mknod -m 0666 "$root/dev/$dev" c "$major" "$minor"
  done
  mkdir "$root/dev/pts" "$root/dev/shm"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$root/dev/pts"
  mount -t tmpfs -o mode=1777,nosuid,nodev lab-shm "$root/dev/shm"
  ln -s pts/ptmx "$root/dev/ptmx"
  ln -s /proc/self/fd "$root/dev/fd"
  local i=0 std
  for std in stdin stdout stderr; do ln -s "/proc/self/fd/$i" "$root/dev/$std"; i=$((i + 1)); done
  : >"$root/dev/console" # systemd's status lines land in this plain file
  mount -t tmpfs -o mode=0755,nosuid,nodev lab-run "$root/run"
  mount -t tmpfs -o mode=1777,nosuid,nodev lab-tmp "$root/tmp"
  local unit
  for unit in "${masked_units[@]}"; do ln -sfn /dev/null "$root/etc/systemd/system/$unit"; done
  printf '%s\n' "$host_pid" >"$state/pid.new"
  mv "$state/pid.new" "$state/pid"
  cd "$root"
  mkdir -p .host
  pivot_root . .host
  umount -l /.host
  rmdir /.host 2>/dev/null || true
  exec setpriv --bounding-set "$dropped_caps" \
    env -i container=tend-systemd-lab PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /lib/systemd/systemd --system
}

boot() { # boot [keep-overlay]
  if running_pid >/dev/null; then fail "lab $name is already running (pid $(running_pid))"; fi
  local t0 limit status="" pid=""
  t0=$(now)
  limit=$(( ${LAB_TIMEOUT:-60} * 10 ))
  mkdir -p "$state"
  rm -f "$state/pid"
  if [ "${1:-}" != keep ]; then rm -rf "$state/upper" "$state/work"; fi
  mkdir -p "$cgroup"
  # The launcher joins the lab's cgroup first, so everything the lab ever runs is found there.
  (
    printf '%s\n' "$BASHPID" >"$cgroup/cgroup.procs"
    exec setsid -w unshare --fork --pid --mount --uts --ipc --net --cgroup --propagation private \
      env LAB_NAME="$name" LAB_STATE="${LAB_STATE:-/tmp/tend-systemd-lab}" LAB_BIND="${LAB_BIND:-}" bash "$self" as-pid1
  ) </dev/null >"$state/boot.log" 2>&1 &
  printf '%s\n' "$!" >"$state/launcher"
  local tick
  for ((tick = 0; tick < limit; tick++)); do
    if pid=$(running_pid); then
      status=$(timeout 2 nsenter -t "$pid" -a systemctl is-system-running 2>/dev/null || true)
      if [ "$status" = running ] || [ "$status" = degraded ]; then break; fi
    elif ! kill -0 "$(<"$state/launcher")" 2>/dev/null; then
      cat "$state/boot.log" >&2
      halt
      fail "lab $name died while booting"
    fi
    sleep 0.1
  done
  if [ "$status" != running ] && [ "$status" != degraded ]; then
    halt
    fail "lab $name not up after ${LAB_TIMEOUT:-60}s (systemd says: ${status:-nothing})"
  fi
  printf 'systemd-lab %s up (%s) in %ss, host pid %s\n' "$name" "$status" "$(elapsed "$t0")" "$pid" >&2
  if [ "$status" = degraded ]; then nsenter -t "$pid" -a systemctl --no-pager --failed >&2 || true; fi
}

# wait_gone PID TENTHS: true once PID is gone, false if it is still there after TENTHS × 0.1 s.
wait_gone() {
  local left=$2
  while kill -0 "$1" 2>/dev/null; do
    [ "$left" -gt 0 ] || return 1
    left=$((left - 1))
    sleep 0.1
  done
}

halt() { # halt [keep-overlay]
  local t0 pid
  t0=$(now)
  if pid=$(running_pid); then
    kill -s SIGRTMIN+4 "$pid" 2>/dev/null || true # what `systemctl poweroff` sends PID 1
    if ! wait_gone "$pid" 150; then
      echo "systemd-lab: $name did not power off in 15 s: SIGKILL to its PID 1 (ends the whole namespace)" >&2
      kill -9 "$pid" 2>/dev/null || true
      wait_gone "$pid" 50 || true
    fi
  fi
  if [ -s "$state/launcher" ]; then
    pid=$(<"$state/launcher")
    wait_gone "$pid" 50 || kill -9 "$pid" 2>/dev/null || true
  fi
  if [ -d "$cgroup" ]; then
    if [ -n "$(cat "$cgroup/cgroup.procs" 2>/dev/null)" ]; then echo "systemd-lab: WARNING: processes left in $cgroup" >&2; fi
    find "$cgroup" -depth -type d -exec rmdir {} + 2>/dev/null || true
  fi
  rm -f "$state/pid" "$state/launcher"
  if [ "${1:-}" != keep ]; then rm -rf "$state/upper" "$state/work" "$state/mnt"; fi
  printf 'systemd-lab %s down in %ss\n' "$name" "$(elapsed "$t0")" >&2
}

[ "$(id -u)" = 0 ] || [ "${1:-}" = pid ] || fail 'needs root (it creates namespaces and mounts)'
verb=${1:-}
shift || true
if [ "${1:-}" = -- ]; then shift; fi
case "$verb" in
  as-pid1) as_pid1 ;;
  start) boot ;;
  stop) halt ;;
  reboot) halt keep; boot keep ;;
  exec)
    pid=$(running_pid) || fail "lab $name is not running"
    exec nsenter -t "$pid" -a "$@" ;;
  pid) running_pid || fail "lab $name is not running" ;;
  *) sed -n '2,17p' "$self" >&2; exit 2 ;;
esac

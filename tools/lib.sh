# Shared helpers for the tools/ scripts (sourced, not run).
# Everything vmrr needs on the x86_64 machine lives in one debootstrap'd Debian
# trixie chroot under $VMRR_CACHE: Bazel, gcc 14 and its cross compilers,
# target-arch sysroots unpacked from Debian .debs, QEMU 11.1 for the rig, and
# the images built by guest-images/.  The host itself only needs debootstrap.

VMRR_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VMRR_CACHE="${VMRR_CACHE:-/var/cache/vmrr}"
VMRR_MIRROR="${VMRR_MIRROR:-http://deb.debian.org/debian}"
VMRR_SECURITY_MIRROR="${VMRR_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"

die() {
  echo "$(basename "$0"): error: $*" >&2
  exit "${DIE_CODE:-1}"
}

note() {
  echo "[$(basename "$0")] $*" >&2
}

# The chroot's identity: a change to what goes into it builds a new one.
# Bump CHROOT_RECIPE when tools/setup changes how the chroot is made.
CHROOT_RECIPE=1
chroot_key() {
  { echo "recipe $CHROOT_RECIPE"; cat "$VMRR_REPO/tools/chroot-packages.txt"; } |
    sha256sum | cut -c1-16
}

chroot_dir() {
  echo "$VMRR_CACHE/chroot-$(chroot_key)"
}

# chroot_mounts ROOT: /proc, /dev, /sys and the repository (at its own path)
# mounted inside the chroot, once, in the host's mount namespace.  They stay:
# the Bazel client checks that its server's cwd is the workspace, which fails
# across private mount namespaces (it would restart the server every call).
# --make-rslave keeps an unmount inside the chroot from reaching the host.
chroot_mounts() {
  local root="$1"
  mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
  if ! mountpoint -q "$root/dev"; then
    mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"
  fi
  if ! mountpoint -q "$root/sys"; then
    mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys"
  fi
  mkdir -p "$root$VMRR_REPO"
  # A bind of an earlier clone at the same path (deleted since, as CI's are)
  # is still a mount point: compare the inodes, not just the mount.
  if mountpoint -q "$root$VMRR_REPO" &&
    [ "$(stat -c %d:%i "$root$VMRR_REPO" 2>/dev/null)" != "$(stat -c %d:%i "$VMRR_REPO")" ]; then
    umount -l "$root$VMRR_REPO"
  fi
  mountpoint -q "$root$VMRR_REPO" || mount --bind "$VMRR_REPO" "$root$VMRR_REPO"
}

# chroot_unmount ROOT: undoes chroot_mounts (and any repository binds).
chroot_unmount() {
  local root="$1" m
  for m in $(findmnt -rn -o TARGET | grep "^$root/" | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
}

# in_chroot CMD...: runs CMD inside the chroot, from the same directory.
in_chroot() {
  local root
  root="$(chroot_dir)"
  [ -f "$root/.vmrr-ready" ] || die "the build chroot is missing; run tools/setup first"
  chroot_mounts "$root"
  local cwd
  cwd="$(pwd)"
  chroot "$root" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin CI="${CI:-}" \
    /bin/sh -c 'cd "$0" 2>/dev/null || cd /; exec "$@"' "$cwd" "$@"
}

# in_chroot_private "BINDS" CMD...: like in_chroot, in a private mount
# namespace with extra bind mounts "src:dst ..." (the rig's --share folder).
in_chroot_private() {
  local root binds="$1"
  shift
  root="$(chroot_dir)"
  [ -f "$root/.vmrr-ready" ] || die "the build chroot is missing; run tools/setup first"
  chroot_mounts "$root"
  unshare -m --propagation private /bin/sh -c '
    root="$1"; binds="$2"; cwd="$3"; shift 3
    for b in $binds; do
      src="${b%%:*}"; dst="${b#*:}"
      mkdir -p "$root$dst" && mount --bind "$src" "$root$dst" || exit 125
    done
    exec chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      /bin/sh -c "cd \"\$0\" 2>/dev/null || cd /; exec \"\$@\"" "$cwd" "$@"' \
    in_chroot_private "$root" "$binds" "$(pwd)" "$@"
}

# Target architectures: our name, Debian's name, GNU triple.
deb_arch() {
  case "$1" in
    arm64) echo arm64 ;;
    riscv64) echo riscv64 ;;
    *) return 1 ;;
  esac
}

gnu_triple() {
  case "$1" in
    arm64) echo aarch64-linux-gnu ;;
    riscv64) echo riscv64-linux-gnu ;;
    *) return 1 ;;
  esac
}

# The rig tests' gdb transcripts (FILE): the lines between the marker
# "@@NAME" and the next one, the registers `info registers` printed there,
# and the instruction count of the first `monitor when` there.
gdb_section() { sed -n "/^@@$2\$/,/^@@/p" "$1" | sed '1d;$d'; }
gdb_regs() { gdb_section "$1" "$2" | grep -E '^[a-z][a-z0-9]* +0x'; }
gdb_count() { gdb_section "$1" "$2" | sed -n 's/^event [0-9]* next, instruction \([0-9]*\).*/\1/p' | head -1; }

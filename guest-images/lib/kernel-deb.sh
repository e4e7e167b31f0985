# guest-images/lib/kernel-deb.sh: shared by build-guest-rootfs and
# rig-host/build (sourced).  Unpacks Debian's busybox-static and linux-image
# .debs, installs busybox with applet links, resolves kernel modules with
# their dependencies (the .deb has no modules.dep) and writes deterministic
# trees and cpio archives.
#
# The caller sets ARCH BUSYBOX_DEB KERNEL_DEB OUTDIR, then calls begin_build,
# unpack_debs, and (with REQUIRED_MODULES / OPTIONAL_MODULES) resolve_modules.

PROG=${PROG:-${0##*/}}
EPOCH=1735689600	# 2025-01-01T00:00:00Z (0 would mean "now" to e2fsprogs)

# busybox applets linked in both images (all exist in Debian's busybox-static).
APPLETS="sh ash mount umount sync cat echo dd cmp md5sum sha256sum sha1sum
sleep usleep date mkdir rmdir rm mv cp ln ls touch chmod poweroff reboot halt
head tail od hexdump wc grep sed awk tr cut printf test [ expr seq uname
dmesg mknod true false switch_root insmod rmmod lsmod xz xzcat unxz hwclock
stat env basename dirname readlink sort uniq tee kill sysctl uptime stty timeout"

usage() {
	echo "usage: $PROG ARCH BUSYBOX_DEB KERNEL_DEB OUTDIR   (ARCH: arm64 | riscv64)" >&2
	exit 2
}
die() {
	echo "$PROG: error: $*" >&2
	exit 1
}
bad_arg() {
	echo "$PROG: error: $*" >&2
	usage
}
note() {
	echo "$PROG: $*" >&2
}

# begin_build: checks the arguments, pins the environment, makes $TMP.
begin_build() {
	case $ARCH in
	arm64) ELF_MACHINE=183 ;;
	riscv64) ELF_MACHINE=243 ;;
	*) bad_arg "unsupported ARCH '$ARCH' (want arm64 or riscv64)" ;;
	esac
	[ -f "$BUSYBOX_DEB" ] || bad_arg "busybox .deb not found: $BUSYBOX_DEB"
	[ -f "$KERNEL_DEB" ] || bad_arg "kernel .deb not found: $KERNEL_DEB"
	for t in dpkg-deb mke2fs debugfs cpio xz gzip find sort od; do
		command -v "$t" > /dev/null || die "required tool not found: $t"
	done
	export LC_ALL=C TZ=UTC
	export SOURCE_DATE_EPOCH=$EPOCH E2FSPROGS_FAKE_TIME=$EPOCH
	umask 022

	mkdir -p "$OUTDIR" || die "cannot create $OUTDIR"
	OUTDIR=$(cd "$OUTDIR" && pwd)
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/build-guest-rootfs.XXXXXX")
	trap 'rm -rf "$TMP"' EXIT

	dpkg-deb -x "$BUSYBOX_DEB" "$TMP/bb" || die "cannot unpack $BUSYBOX_DEB"
	dpkg-deb -x "$KERNEL_DEB" "$TMP/kern" || die "cannot unpack $KERNEL_DEB"
}

# unpack_debs: busybox (checked) and the kernel (Image, modules, config).
unpack_debs() {
	BUSYBOX=
	for p in usr/bin/busybox bin/busybox; do
		[ -f "$TMP/bb/$p" ] && BUSYBOX=$TMP/bb/$p && break
	done
	[ -n "$BUSYBOX" ] || die "no busybox binary in $BUSYBOX_DEB"
	[ "$(od -An -N4 -c "$BUSYBOX" | tr -d ' ')" = '177ELF' ] || die "busybox in $BUSYBOX_DEB is not an ELF file"
	machine=$(od -An -j18 -N2 -tu2 --endian=little "$BUSYBOX" | tr -d ' ')
	[ "$machine" = "$ELF_MACHINE" ] || die "busybox in $BUSYBOX_DEB is for ELF machine $machine, not $ARCH"
	# The applet names are stored NUL-separated in the binary: catch missing ones.
	tr '\0' '\n' < "$BUSYBOX" > "$TMP/bb-strings"
	for a in $APPLETS; do
		grep -qxF -- "$a" "$TMP/bb-strings" || die "busybox in $BUSYBOX_DEB lacks applet '$a'"
	done

	shopt -s nullglob
	kdirs=("$TMP"/kern/usr/lib/modules/*/ "$TMP"/kern/lib/modules/*/)
	[ ${#kdirs[@]} -eq 1 ] || die "expected exactly one lib/modules/<version>/ in $KERNEL_DEB, found ${#kdirs[@]}"
	MODDIR=${kdirs[0]%/}
	KVER=${MODDIR##*/}
	CONFIG=$TMP/kern/boot/config-$KVER
	[ -f "$CONFIG" ] || die "no boot/config-$KVER in $KERNEL_DEB"
	case $ARCH in
	arm64)
		KIMAGE=$TMP/kern/boot/vmlinuz-$KVER
		magic_off=56 magic='ARMd'	# "ARM\x64"
		;;
	riscv64)
		KIMAGE=$TMP/kern/boot/vmlinux-$KVER
		magic_off=56 magic='RSC005'	# "RSC\x05" (magic2)
		;;
	esac
	[ -f "$KIMAGE" ] || die "no ${KIMAGE#"$TMP/kern/"} in $KERNEL_DEB (not an $ARCH kernel package?)"
	[ "$(od -An -j"$magic_off" -N4 -c "$KIMAGE" | tr -d ' \\')" = "$magic" ] ||
		die "${KIMAGE#"$TMP/kern/"} is not a raw $ARCH kernel Image (compressed?)"
	for c in BLK_DEV_INITRD DEVTMPFS TMPFS; do
		grep -qx "CONFIG_$c=y" "$CONFIG" || die "kernel config lacks CONFIG_$c=y"
	done
	shopt -u nullglob
	index_modules
}

# install_busybox ROOT: ROOT/bin/busybox plus applet links in ROOT/bin.
install_busybox() {
	mkdir -p "$1/bin"
	cp "$BUSYBOX" "$1/bin/busybox"
	chmod 0755 "$1/bin/busybox"
	for a in $APPLETS; do
		ln -s busybox "$1/bin/$a"
	done
}

# ------------------------------------------------------- module resolution
# index_modules: MODPATH[name] = the .ko file, BUILTIN[name] = 1.  Module
# names are normalised with '-' -> '_', as the kernel does.
index_modules() {
	local p n
	declare -gA MODPATH=() BUILTIN=() STATE=()
	while IFS= read -r -d '' p; do
		n=${p##*/}
		n=${n%%.ko*}
		MODPATH[${n//-/_}]=$p
	done < <(find "$MODDIR/kernel" -name '*.ko*' -print0)
	[ ${#MODPATH[@]} -gt 0 ] || die "no kernel modules in $MODDIR"
	if [ -f "$MODDIR/modules.builtin" ]; then
		while IFS= read -r p; do
			n=${p##*/}
			n=${n%%.ko*}
			BUILTIN[${n//-/_}]=1
		done < "$MODDIR/modules.builtin"
	fi
}

# ko_file NAME: the uncompressed .ko of NAME under $TMP/ko/ (created on demand).
ko_file() {
	local n=$1 src=${MODPATH[$1]} dst=$TMP/ko/$1.ko
	if [ ! -f "$dst" ]; then
		mkdir -p "$TMP/ko"
		case $src in
		*.ko) cp "$src" "$dst" ;;
		*.ko.xz) xz -dc "$src" > "$dst" ;;
		*.ko.gz) gzip -dc "$src" > "$dst" ;;
		*) die "cannot decompress module $src" ;;
		esac
	fi
	echo "$dst"
}

# modinfo_field FILE FIELD: the values of FIELD= in the module's .modinfo.
modinfo_field() {
	tr '\0' '\n' < "$1" | sed -n "s/^$2=//p"
}

# builtin_alias ALIAS: true if a builtin module carries ALIAS.
builtin_alias() {
	[ -f "$MODDIR/modules.builtin.modinfo" ] &&
		tr '\0' '\n' < "$MODDIR/modules.builtin.modinfo" | grep -qE "^[^.]+\.alias=$1\$"
}

# Aliases of the loadable crypto/lib modules, scanned once on demand: softdeps
# such as "crypto-crc32c" name aliases, not modules.
declare -A ALIASES=()
ALIASES_SCANNED=
scan_aliases() {
	local n p
	[ -z "$ALIASES_SCANNED" ] || return 0
	ALIASES_SCANNED=1
	for n in "${!MODPATH[@]}"; do
		p=${MODPATH[$n]#"$MODDIR/kernel/"}
		case $p in
		crypto/* | arch/*/crypto/* | lib/*) ;;
		*) continue ;;
		esac
		ALIASES[$n]=" $(modinfo_field "$(ko_file "$n")" alias | tr '\n' ' ')"
	done
}

# alias_modules ALIAS: the scanned modules carrying ALIAS, sorted.
alias_modules() {
	local n
	for n in "${!ALIASES[@]}"; do
		case ${ALIASES[$n]} in
		*" $1 "*) echo "$n" ;;
		esac
	done | sort
}

# resolve NAME KIND: append NAME and its dependencies (first) to LOAD_ORDER.
LOAD_ORDER=()
resolve() {
	local n=${1//-/_} kind=$2 f d deps soft
	case ${STATE[$n]:-} in
	done) return 0 ;;
	busy) die "module dependency cycle at $n" ;;
	esac
	if [ -z "${MODPATH[$n]:-}" ]; then
		[ -n "${BUILTIN[$n]:-}" ] && return 0
		[ "$kind" = optional ] && { note "optional module $n not found, skipped"; return 0; }
		die "module $n is neither builtin nor in $KERNEL_DEB"
	fi
	STATE[$n]='busy'
	f=$(ko_file "$n")
	# softdep=pre: A B post: C  -> A and B are loaded first (best effort).
	soft=$(modinfo_field "$f" softdep | sed -n 's/^pre:[[:space:]]*//; s/[[:space:]]*post:.*//; p')
	for d in $soft; do	# a module name or an alias (aliases keep their '-')
		if [ -n "${MODPATH[${d//-/_}]:-}" ]; then
			resolve "$d" "$kind"
		elif [ -n "${BUILTIN[${d//-/_}]:-}" ] || builtin_alias "$d"; then
			:
		else
			local found='' m
			scan_aliases
			for m in $(alias_modules "$d"); do
				resolve "$m" "$kind"
				found=1
			done
			[ -n "$found" ] || note "softdep $d of $n not found, skipped"
		fi
	done
	deps=$(modinfo_field "$f" depends | tr ',' ' ')
	for d in $deps; do
		resolve "$d" "$kind"
	done
	STATE[$n]='done'
	LOAD_ORDER+=("$n $kind")
}
resolve_modules() {
	local m
	for m in $REQUIRED_MODULES; do resolve "$m" required; done
	for m in ${OPTIONAL_MODULES:-}; do resolve "$m" optional; done
}

# stage_modules DIR: the resolved modules, uncompressed, and DIR/load-order
# ("FILE.ko required|optional" a line, dependencies first).
stage_modules() {
	local e n
	mkdir -p "$1"
	{
		echo "# kernel $KVER ($ARCH): insmod in this order"
		for e in "${LOAD_ORDER[@]}"; do
			n=${e%% *}
			cp "$(ko_file "$n")" "$1/$n.ko"
			chmod 0644 "$1/$n.ko"
			echo "$n.ko ${e#* }"
		done
	} > "$1/load-order"
}

# set_tree_times DIR: every entry's mtime/atime := $EPOCH.
set_tree_times() {
	find "$1" -print0 | xargs -0 touch -h -d "@$EPOCH"
}

# make_cpio DIR OUT: DIR as an uncompressed newc archive, owners 0:0.
make_cpio() {
	(cd "$1" && find . | sort | cpio --quiet -o -H newc -R 0:0 --reproducible) > "$2" ||
		die "cpio failed"
}

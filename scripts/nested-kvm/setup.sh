#!/bin/sh
# setup.sh: installs QEMU and busybox from Debian, takes Debian's 6.1 kernel
# package apart and builds the initramfs run.sh boots (see README.md).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=${HL_NESTED_KVM_DIR:-/var/tmp/hl-nested-kvm}
mkdir -p "$dir"
export DEBIAN_FRONTEND=noninteractive
if ! command -v qemu-system-x86_64 >/dev/null || [ ! -x /bin/busybox ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends qemu-system-x86 busybox-static cpio >/dev/null
fi
if [ ! -f "$dir/vmlinuz" ]; then
  pkg=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' | awk '{print $1}' | sort -V | tail -1)
  (cd "$dir" && apt-get download "$pkg" >/dev/null)
  rm -rf "$dir/kernel" && dpkg-deb -x "$dir"/"$pkg"_*.deb "$dir/kernel"
  kv=$(ls "$dir/kernel/lib/modules" | head -1)
  cp "$dir/kernel/boot/vmlinuz-$kv" "$dir/vmlinuz"
fi
kv=$(ls "$dir/kernel/lib/modules" | head -1)
mods="$dir/kernel/lib/modules/$kv/kernel"
ird="$dir/initramfs"
rm -rf "$ird" && mkdir -p "$ird/bin" "$ird/mods" "$ird/proc" "$ird/sys" "$ird/dev" "$ird/newroot"
cp /bin/busybox "$ird/bin/busybox"
for a in sh mount umount insmod mkdir mknod cat echo poweroff chroot sync ip chmod tr ln; do ln -s busybox "$ird/bin/$a"; done
# In dependency order (init loads them in the same order).
for m in drivers/virtio/virtio.ko drivers/virtio/virtio_ring.ko drivers/virtio/virtio_pci_modern_dev.ko \
         drivers/virtio/virtio_pci_legacy_dev.ko drivers/virtio/virtio_pci.ko fs/netfs/netfs.ko \
         fs/fscache/fscache.ko net/9p/9pnet.ko net/9p/9pnet_virtio.ko fs/9p/9p.ko virt/lib/irqbypass.ko \
         arch/x86/kvm/kvm.ko drivers/crypto/ccp/ccp.ko arch/x86/kvm/kvm-amd.ko; do
  [ -f "$mods/$m" ] && cp "$mods/$m" "$ird/mods/"
done
cp "$here/init" "$ird/init" && chmod +x "$ird/init"
(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1 > "$dir/initramfs.gz")
gcc -O2 -shared -fPIC -o "$dir/tss-shim.so" "$here/tss-shim.c" -ldl
echo "nested-kvm ready in $dir"

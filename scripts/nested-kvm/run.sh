#!/bin/bash
# run.sh 'command...': runs the command as root in a QEMU/TCG VM whose kernel
# has a real /dev/kvm (nested SVM), chrooted into the host's / (9p), in the
# caller's folder; exits with the command's status (see README.md).
set -u
dir=${HL_NESTED_KVM_DIR:-/var/tmp/hl-nested-kvm}
[ $# -ge 1 ] || { echo "usage: $0 'command...'" >&2; exit 2; }
[ -f "$dir/initramfs.gz" ] || { echo "run $(dirname "$0")/setup.sh first" >&2; exit 2; }
mkdir -p "$dir/jobs"
job=$(mktemp -d "$dir/jobs/job.XXXXXX")
trap 'rm -rf "$job"' EXIT
shim=${HL_NESTED_KVM_SHIM:-tss}
{ printf 'cd %q 2>/dev/null || cd /\n' "$PWD"
  echo "export HL_NESTED_KVM=1 HL_FLUSH_BUDGET_MS=6000"
  [ "$shim" != none ] && echo "export LD_PRELOAD=$dir/tss-shim.so"
  [ "$shim" = trace ] && echo "export HL_NESTED_KVM_TRACE=1"
  printf '%s\n' "$*"; } > "$job/cmd.sh"
timeout --foreground -k 10 "${HL_NESTED_KVM_TIMEOUT:-3600}" qemu-system-x86_64 \
  -accel tcg,thread=multi -cpu max -m "${HL_NESTED_KVM_MEM:-6G}" -smp "${HL_NESTED_KVM_SMP:-1}" \
  -machine q35 -nodefaults -no-reboot -display none -serial stdio -monitor none \
  -kernel "$dir/vmlinuz" -initrd "$dir/initramfs.gz" \
  -append "console=ttyS0 panic=-1 quiet loglevel=0 hl.dir=$job hl.cache=loose" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=passthrough,id=hostroot,multidevs=remap \
  </dev/null
status=$?
[ -f "$job/rc" ] && exit "$(cat "$job/rc")"
echo "nested-kvm: the VM ended (qemu status $status) before the command reported" >&2
exit 125

#!/bin/bash
# tap-files.sh FILE...: runs built tap test files one at a time, each as its
# own `node FILE` (a tap test file is a program that prints TAP and exits 1 on
# a failure), and exits 1 if any failed. Used inside the nested-KVM VM instead
# of tap's runner: under emulation the runner costs ~47 s per file before a
# test starts (measured: `npx tap` on a one-assertion file 61 s, `node` on it
# 14 s), ~26 minutes of a 33-file run.
#
# Each file gets HL_TEST_FILE_TIMEOUT seconds (default 900; the slowest file
# takes ~330 s there), enforced by `timeout` (tap's own timer is off: it would
# not catch a process that hangs after its last test, in exit()). Just before
# the kill, every node thread's kernel state is printed (wchan and stack:
# inside KVM_RUN, or waiting on a lock), so a hang says where it was.
#
# A file that fails is run once more (unless HL_TEST_RETRY=0: run-files.sh
# retries in a fresh VM instead), and the summary names it. Under QEMU's
# emulation of nested SVM a guest run has been seen to never come back (no
# kick involved), which fails whatever file it hits; a failure that happens
# twice is reported as a failure. On a machine with /dev/kvm none of this is
# used: npm test runs tap itself.
set -u
limit=${HL_TEST_FILE_TIMEOUT:-900}
export TAP_TIMEOUT=0 TAP_OMIT_VERSION=1
for f in "$@"; do
  case $f in -*) echo "tap-files.sh: in the nested-KVM VM, arguments are test files (got $f)" >&2; exit 2 ;; esac
done
n=0
failed=()
retried=()
start_all=$(date +%s)

threads() {  # where every node thread is, in the kernel
  for p in $(pgrep -x node); do
    echo "#   node $p: $(tr '\0' ' ' < "/proc/$p/cmdline" | cut -c1-160)"
    for t in /proc/"$p"/task/*; do
      echo "#     $(basename "$t") $(cat "$t/comm" 2>/dev/null) wchan=$(cat "$t/wchan" 2>/dev/null) $(tr '\n' '<' < "$t/stack" 2>/dev/null | cut -c1-200)"
    done
  done
}

run_one() {  # file -> status
  ( sleep "$((limit - 5))"; echo "# HANG: $1 still running after $((limit - 5))s; its threads:"; threads ) &
  local watchdog=$!
  timeout -k 10 "$limit" node --enable-source-maps "$1" 2>&1 | sed 's/^/    /'
  local status=${PIPESTATUS[0]}
  kill "$watchdog" 2>/dev/null
  wait "$watchdog" 2>/dev/null
  return "$status"
}

for f in "$@"; do
  n=$((n + 1))
  echo "# Subtest: $f"
  t0=$(date +%s)
  run_one "$f"
  status=$?
  if [ "$status" -ne 0 ] && [ "${HL_TEST_RETRY:-1}" != 0 ]; then
    echo "# RETRY: $f failed (exit status $status after $(($(date +%s) - t0))s); running it once more"
    retried+=("$f")
    run_one "$f"
    status=$?
  fi
  secs=$(($(date +%s) - t0))
  if [ "$status" -eq 0 ]; then
    echo "ok $n - $f # ${secs}s"
  else
    echo "not ok $n - $f # exit status $status after ${secs}s"
    failed+=("$f")
  fi
done
echo "1..$n"
echo "# $n test files in $(($(date +%s) - start_all))s: $((n - ${#failed[@]})) passed, ${#failed[@]} failed"
[ ${#retried[@]} -eq 0 ] || echo "# failed once and were run again: ${retried[*]}"
[ ${#failed[@]} -eq 0 ] || { echo "# failed: ${failed[*]}"; exit 1; }
exit 0

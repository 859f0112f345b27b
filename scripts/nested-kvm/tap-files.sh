#!/bin/bash
# tap-files.sh FILE...: runs built tap test files one at a time, each as its
# own `node FILE` (a tap test file is a program that prints TAP and exits 1 on
# a failure), and exits 1 if any failed. Used inside the nested-KVM VM instead
# of tap's runner: under emulation the runner costs ~47 s per file before a
# test starts (measured: `npx tap` on a one-assertion file 61 s, `node` on it
# 14 s), ~26 minutes of a 33-file run.
#
# Each file gets HL_TEST_FILE_TIMEOUT seconds (default 1200; the slowest file
# takes ~330 s there), enforced by `timeout` (tap's own timer is off: it would
# not catch a process that hangs after its last test, in exit()). A file
# killed for time is run once more, and the run says so: a lost interrupt in
# QEMU's emulation of nested SVM has hung a guest run there. An assertion
# that fails is never retried.
set -u
limit=${HL_TEST_FILE_TIMEOUT:-1200}
export TAP_TIMEOUT=0 TAP_OMIT_VERSION=1
n=0
failed=()
hung=()
for f in "$@"; do
  case $f in -*) echo "tap-files.sh: in the nested-KVM VM, arguments are test files (got $f)" >&2; exit 2 ;; esac
done
start_all=$(date +%s)
run_one() {  # file -> status
  timeout -k 10 "$limit" node --enable-source-maps "$1" 2>&1 | sed 's/^/    /'
  return "${PIPESTATUS[0]}"
}
for f in "$@"; do
  n=$((n + 1))
  echo "# Subtest: $f"
  t0=$(date +%s)
  run_one "$f"
  status=$?
  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    echo "# HANG: $f was killed after ${limit}s; running it once more"
    hung+=("$f")
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
[ ${#hung[@]} -eq 0 ] || echo "# hung once and were run again: ${hung[*]}"
[ ${#failed[@]} -eq 0 ] || { echo "# failed: ${failed[*]}"; exit 1; }
exit 0

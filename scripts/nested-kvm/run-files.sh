#!/bin/bash
# run-files.sh FILE...: runs each built test file in a VM of its own (run.sh +
# tap-files.sh), one after the other, and exits 1 if any failed.
#
# Why a VM per file: QEMU's emulation of nested SVM has been seen to wedge
# the whole VM (both emulated CPUs busy, no process in it making progress,
# not even a sleeping watchdog), once in 20-40 minutes of tests, in files
# that pass every other time. A VM per file costs ~7.5 s of boot, and a wedge
# costs that file's time limit. A file that fails, or whose VM wedged, runs
# once more in a fresh VM, and the summary names it; twice is a failure.
set -u
here=$(dirname "$0")
# Most files take under 2 minutes there; those with a `// hl-test: slow`
# line (many CLI runs, an npm install) take up to ~7. The limit
# is also what a wedged VM costs.
quick=${HL_TEST_FILE_TIMEOUT:-420}
slow=${HL_TEST_SLOW_FILE_TIMEOUT:-900}
n=0
failed=()
rebooted=()
start_all=$(date +%s)
vm_run() {  # file -> the command's status, or 125 if the VM ended first
  local q limit=$quick
  q=$(printf '%s' "$1" | sed "s/'/'\\\\''/g")
  grep -qx '// hl-test: slow' "$1" && limit=$slow
  HL_NESTED_KVM_TIMEOUT=$((limit + 60)) "$here/run.sh" "HL_TEST_FILE_TIMEOUT=$limit HL_TEST_RETRY=0 bash $here/tap-files.sh '$q'"
}
for f in "$@"; do
  n=$((n + 1))
  t0=$(date +%s)
  vm_run "$f"
  status=$?
  if [ "$status" -ne 0 ]; then
    what="failed (status $status)"
    [ "$status" -eq 125 ] && what="wedged its VM (no report)"
    echo "# RETRY: $f $what after $(($(date +%s) - t0))s; a fresh VM runs it once more"
    rebooted+=("$f")
    vm_run "$f"
    status=$?
  fi
  [ "$status" -eq 0 ] || failed+=("$f")
done
echo "# nested KVM: $n test files, one VM each, in $(($(date +%s) - start_all))s: $((n - ${#failed[@]})) passed, ${#failed[@]} failed"
[ ${#rebooted[@]} -eq 0 ] || echo "# failed or wedged once, and ran again in a fresh VM: ${rebooted[*]}"
[ ${#failed[@]} -eq 0 ] || { echo "# failed: ${failed[*]}"; exit 1; }
exit 0

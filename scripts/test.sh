#!/bin/sh
# npm test: installs the Debian tools the tests use, builds the tests, and runs
# every test file with tap. Arguments go to tap (a file list, --grep, ...).
#
# The tests boot real guests, so they need a usable /dev/kvm. On a machine
# without one (some of this project's machines are themselves PVM guests, and
# their kernel does not offer KVM), the same tap run happens inside a VM with
# nested KVM: scripts/nested-kvm (QEMU from Debian, 15-20x slower; soak and fuzz
# loops run a twentieth of their rounds there, see rounds() in test/helpers.ts).
set -e
cd "$(dirname "$0")/.."
sh scripts/test-deps.sh
npm run -s build:ts
make -s -C test/guests
npx tap build >/dev/null
if [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] && [ "${HL_TEST_NESTED:-}" != 1 ]; then
  exec npx tap "$@"
fi
# Test files whose first line is `// hl-test: no-kvm` boot no guest: they run
# here, natively; the others run in the VM.
if [ $# -eq 0 ]; then
  host_files=$(grep -lx '// hl-test: no-kvm' dist/test/*.test.js || true)
  vm_files=$(grep -Lx '// hl-test: no-kvm' dist/test/*.test.js)
  echo "npm test: no usable /dev/kvm here; $(echo $host_files | wc -w) test files that need no KVM run here, $(echo $vm_files | wc -w) in a VM with nested KVM (scripts/nested-kvm/README.md)" >&2
  # shellcheck disable=SC2086
  npx tap $host_files
  set -- $vm_files
else
  echo "npm test: no usable /dev/kvm here; running the tests in a VM with nested KVM (scripts/nested-kvm/README.md)" >&2
fi
sh scripts/nested-kvm/setup.sh >&2
# One test file at a time, each in a VM of its own, run by node itself
# rather than tap's runner (~47 s per file under emulation): see
# scripts/nested-kvm/run-files.sh and tap-files.sh.
exec bash scripts/nested-kvm/run-files.sh "$@"

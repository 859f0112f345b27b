#!/bin/sh
# Builds the reference implementations hl's log filter is compared with
# (test/64-log-filter-conformance.test.ts): tracing-subscriber's EnvFilter and
# env_logger, from Debian's packaged crates, offline. Installs the Debian
# packages if missing (as root). Idempotent: skips the build (about 3 minutes on
# 2 cores) when both binaries are newer than the sources. The build lives in
# test/conformance/log-filter/target, outside git.
set -e
cd "$(dirname "$0")/../test/conformance/log-filter"
out=target/release
up_to_date() {
  for bin in tracing-oracle env-logger-oracle; do
    [ -x "$out/$bin" ] || return 1
    for src in Cargo.toml .cargo/config.toml src/*.rs; do
      [ "$out/$bin" -nt "$src" ] || return 1
    done
  done
}
up_to_date && exit 0
missing=""
ls -d /usr/share/cargo/registry/tracing-subscriber-0.3.* >/dev/null 2>&1 || missing="$missing librust-tracing-subscriber-dev"
ls -d /usr/share/cargo/registry/env_logger-0.9.* >/dev/null 2>&1 || missing="$missing librust-env-logger-dev"
ls -d /usr/share/cargo/registry/regex-1.* >/dev/null 2>&1 || missing="$missing librust-regex-dev"
[ -x /usr/bin/cargo ] || missing="$missing cargo"
if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "the log filter conformance test needs:$missing (Debian packages); install them with: sudo apt-get install -y$missing" >&2
    exit 1
  fi
  echo "installing$missing from Debian for the log filter conformance test" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
echo "building the log filter oracles (tracing-subscriber, env_logger) from Debian's crates" >&2
# Debian's own toolchain, whatever else is on PATH: its crates are tested with it.
RUSTC=/usr/bin/rustc /usr/bin/cargo build --release --offline --quiet
touch "$out/tracing-oracle" "$out/env-logger-oracle"

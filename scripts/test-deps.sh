#!/bin/sh
# Installs what the test suite needs from Debian: promtool and the Prometheus
# server (package prometheus), prometheus-pushgateway, zsh and fish for the
# completion tests, tmux (a real terminal for the interactive ones), openssl
# (certificates for the TLS collectors) and gdb (it opens hl's core dumps), then the log filter's Rust reference
# programs (scripts/build-log-oracle.sh). Idempotent; run by `npm test`.
set -e
oracle() { sh "$(dirname "$0")/build-log-oracle.sh"; }
missing=""
{ command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; } || missing="$missing prometheus"
command -v prometheus-pushgateway >/dev/null 2>&1 || missing="$missing prometheus-pushgateway"
command -v zsh >/dev/null 2>&1 || missing="$missing zsh"
command -v fish >/dev/null 2>&1 || missing="$missing fish"
command -v tmux >/dev/null 2>&1 || missing="$missing tmux"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
command -v gdb >/dev/null 2>&1 || missing="$missing gdb"
if [ -z "$missing" ]; then oracle; exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "the tests need:$missing (Debian packages); install them with: sudo apt-get install -y$missing" >&2
  exit 1
fi
echo "installing$missing from Debian for the tests" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
oracle

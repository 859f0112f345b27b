#!/bin/sh
# Installs what the test suite needs from Debian: promtool and the Prometheus
# server (package prometheus), prometheus-pushgateway, zsh and fish for the completion tests,
# and tmux (a real terminal for the interactive ones). Idempotent; run by `npm test`.
set -e
missing=""
{ command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; } || missing="$missing prometheus"
command -v prometheus-pushgateway >/dev/null 2>&1 || missing="$missing prometheus-pushgateway"
command -v zsh >/dev/null 2>&1 || missing="$missing zsh"
command -v fish >/dev/null 2>&1 || missing="$missing fish"
command -v tmux >/dev/null 2>&1 || missing="$missing tmux"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "the tests need:$missing (Debian packages); install them with: sudo apt-get install -y$missing" >&2
  exit 1
fi
echo "installing$missing from Debian for the tests" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null

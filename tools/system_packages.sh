#!/usr/bin/env bash
# Installs the Debian packages K2Cloud's tests need when they are missing:
# PostgreSQL (throwaway test database), Chromium (browser tests), gettext (messages),
# docker-registry (Distribution 2.8: the real registry of tests/registries), a CJK font
# (Chinese screenshots show characters, not boxes).
set -euo pipefail
need=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v msgfmt >/dev/null || need+=(gettext)
command -v docker-registry >/dev/null || need+=(docker-registry)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
[ "${1:-}" = "--run-only" ] && need=("${need[@]/chromium}") && need=("${need[@]/postgresql}") && need=("${need[@]/fonts-wqy-microhei}")
need=($(printf '%s\n' "${need[@]}" | grep -v '^$' || true))
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${need[*]}"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

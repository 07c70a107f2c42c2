#!/usr/bin/env bash
# The support console's browser tests (test/browser/) drive Debian's chromium through playwright-core, which
# downloads no browser: install the package when it is absent, unless CHROMIUM_PATH points at another one.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ -z "${CHROMIUM_PATH:-}" ] && [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium from Debian's packages"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

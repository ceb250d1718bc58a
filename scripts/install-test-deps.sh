#!/usr/bin/env bash
# Installs the Debian packages Twofold's tests start servers from (or drive, like Chromium), when any is missing.
# The test harness starts its own throwaway servers on free ports; it never uses a running system service.
set -euo pipefail

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[ -x /usr/sbin/nats-server ] || need+=(nats-server)
[ -x /usr/bin/chromium ] || need+=(chromium)   # the hotel's browser test drives it through playwright-core

if [ ${#need[@]} -eq 0 ]; then
  echo "test dependencies: all present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "The tests need the Debian packages: ${need[*]}. Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${need[*]}" >&2
  exit 1
fi
echo "test dependencies: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}"

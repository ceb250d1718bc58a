#!/usr/bin/env bash
# Runs the tests that must pass on every Node Twofold supports on Node 22 and Node 24 too: the unit tests, the
# SQLite package's tests, which there run on Node's built-in node:sqlite (the repository's better-sqlite3 binary
# is built for the Node that installed it, Node 20), and the consumer test (tests/packages.e2e.test.ts: the packed
# tarballs installed into a project outside the repository by that Node's npm, where nothing compiles, then
# type-checked and run with that Node). The checks of the tarballs themselves (contents, publint, Are the Types
# Wrong) do not depend on the Node that runs them and run once, with `npm test`. scripts/node-versions.sh installs
# both Nodes from the npm registry. The whole suite runs on Node 20 with `npm test`; CI (.ci/run) runs both.
set -euo pipefail
cd "$(dirname "$0")/.."

for major in 22 24; do
  node="$(bash scripts/node-versions.sh "$major")"
  # Child processes the tests start (`npm`, `node`, or process.execPath) run on the same Node.
  export_path="$(dirname "$node"):$PATH"
  started=$SECONDS
  echo "== Node $("$node" --version): unit tests, SQLite tests on node:sqlite"
  PATH="$export_path" "$node" node_modules/vitest/vitest.mjs run --project unit --project 'sqlite (node:sqlite)'
  echo "== Node $major: unit and SQLite tests passed in $((SECONDS - started)) s"
  started=$SECONDS
  echo "== Node $("$node" --version): the consumer test"
  PATH="$export_path" "$node" node_modules/vitest/vitest.mjs run --project packaging tests/packages.e2e.test.ts \
    --testNamePattern 'a project outside the repository'
  echo "== Node $major: the consumer test passed in $((SECONDS - started)) s"
done

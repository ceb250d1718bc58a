#!/usr/bin/env bash
# Installs the peers the benchmarks compare against into bench/.peers (gitignored), apart from the
# workspace's own node_modules, so that the root `npm install` and CI never pull them in.
# Emmett 0.38.5 is the newest pair of @event-driven-io/emmett and emmett-sqlite this registry serves together;
# its own peers (uuid, async-retry, web-streams-polyfill, sqlite3) are named because legacy peer resolution,
# which Nest's peer ranges need, does not install them.
# Emmett's PostgreSQL store has no 0.38 release on this registry (it serves 0.20.0, 0.35.0-alpha.2 and 0.42.0), and
# 0.42.0 pins @event-driven-io/emmett 0.42.0 and pongo 0.16.11 as exact peers. So it gets a folder of its own,
# bench/.peers/postgresql, with the versions it was released with, leaving the SQLite pair at 0.38.5.
# The queue bench's peers get bench/.peers/queue, at their current majors: graphile-worker 0.18 (0.x: each minor is a
# major), pg-boss 12 with @opentelemetry/api (a peer it imports), BullMQ 6 with ioredis (its optional peer, the
# Redis client it uses by default). graphile-worker 0.18 and pg-boss 12 declare Node >= 22 in their engines; they
# run on the Node 20 the bench uses, and npm only warns.
set -euo pipefail
cd "$(dirname "$0")"
npm install --prefix .peers --no-save --no-package-lock --no-audit --no-fund --legacy-peer-deps \
  '@nestjs/cqrs@^12' '@nestjs/core@^12' '@nestjs/common@^12' 'reflect-metadata@^0.2' 'rxjs@^7' \
  '@event-driven-io/emmett@0.38.5' '@event-driven-io/emmett-sqlite@0.38.5' 'sqlite3@^5.1.7' \
  'uuid@^10' 'async-retry@^1.3.3' 'web-streams-polyfill@^4' 'autocannon@^8'
npm install --prefix .peers/postgresql --no-save --no-package-lock --no-audit --no-fund \
  '@event-driven-io/emmett-postgresql@0.42.0' '@event-driven-io/emmett@0.42.0' '@event-driven-io/pongo@0.16.11'
npm install --prefix .peers/queue --no-save --no-package-lock --no-audit --no-fund \
  'graphile-worker@~0.18.0' 'pg-boss@^12' '@opentelemetry/api@^1.9' 'bullmq@^6' 'ioredis@^5'

#!/usr/bin/env bash
# Installs the peers the benchmarks compare against into bench/.peers (gitignored), apart from the
# workspace's own node_modules, so that the root `npm install` and CI never pull them in.
set -euo pipefail
cd "$(dirname "$0")"
npm install --prefix .peers --no-save --no-package-lock --no-audit --no-fund \
  '@nestjs/cqrs@^12' '@nestjs/core@^12' '@nestjs/common@^12' 'reflect-metadata@^0.2' 'rxjs@^7'

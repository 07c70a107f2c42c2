#!/usr/bin/env bash
# The benchmark's load generator (wrk) and Postgres ceiling (pgbench), from Debian's packages when absent.
# `npm run bench` needs them, and so does the test suite's short run of it (test/bench/smoke.test.ts). The test
# suite's `pgbouncer` project runs its integration subset through a PgBouncer of its own (docs/scaling.md).
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v pgbench >/dev/null || missing+=(postgresql-client)
# Debian installs it in /usr/sbin, which a non-root PATH may lack.
command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]} from Debian's packages"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

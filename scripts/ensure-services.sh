#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on their default local ports: starts them if installed but stopped,
# installs them from Debian's packages if absent. Idempotent; prints only what it does.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

pg_ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
redis_ready() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }
wait_for() { for _ in $(seq 1 60); do "$1" && return 0; sleep 0.5; done; return 1; }

if ! command -v pg_ctlcluster >/dev/null || ! command -v redis-server >/dev/null; then
  echo "installing postgresql and redis-server from Debian's packages"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server >/dev/null
fi

if ! pg_ready; then
  echo "starting PostgreSQL"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start || true
  wait_for pg_ready || { echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2; exit 1; }
fi

# The service connects as the current user without a password (DATABASE_URL default). A stock Debian
# install has neither that role nor trust auth on loopback; add both once.
user="$(id -un)"
if ! psql -h 127.0.0.1 -U "$user" -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1; then
  echo "granting local trust access to role $user"
  as_root su postgres -c "psql -Atqc \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$user') THEN CREATE ROLE \\\"$user\\\" SUPERUSER LOGIN; END IF; END \\\$\\\$\"" >/dev/null
  hba="$(as_root su postgres -c "psql -Atqc 'SHOW hba_file'")"
  as_root sed -i "1i host all $user 127.0.0.1/32 trust" "$hba"
  as_root su postgres -c "psql -Atqc 'SELECT pg_reload_conf()'" >/dev/null
fi

# The read-replica test (test/integration/read-replica.test.ts) clones this cluster with pg_basebackup and
# streams from it, which needs a replication line in pg_hba.conf (the "all" database does not cover
# replication connections) and wal_level replica or logical with WAL senders (Debian's defaults). Add the
# line once, for loopback only, and reload.
hba="$(psql -h 127.0.0.1 -U "$user" -d postgres -Atqc 'SHOW hba_file')"
if ! as_root grep -Eq '^host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$hba"; then
  echo "allowing local replication connections (pg_hba.conf) for the read-replica test"
  as_root sed -i "1i host replication all 127.0.0.1/32 trust" "$hba"
  psql -h 127.0.0.1 -U "$user" -d postgres -Atqc 'SELECT pg_reload_conf()' >/dev/null
fi
wal="$(psql -h 127.0.0.1 -U "$user" -d postgres -Atqc "SELECT current_setting('wal_level') || ' ' || current_setting('max_wal_senders')")"
case "$wal" in
  minimal*|*" 0") echo "PostgreSQL has wal_level/max_wal_senders = $wal: the read-replica test needs wal_level=replica and max_wal_senders > 0 (restart required)" >&2 ;;
esac

if ! redis_ready; then
  echo "starting Redis"
  as_root redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  wait_for redis_ready || { echo "Redis did not come up on 127.0.0.1:6379" >&2; exit 1; }
fi

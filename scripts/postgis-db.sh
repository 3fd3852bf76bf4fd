#!/usr/bin/env bash
# Make sure the local PostgreSQL has PostGIS and a fresh database with the extension,
# then print its DATABASE_URL. With SKYLEDGER_PG_KEEP=1 an existing database is kept. Used by `make test-postgis` and .ci/run.
# PGHOST/PGPORT/PGUSER and SKYLEDGER_PG_DB override the defaults (127.0.0.1, 5432, postgres).
set -euo pipefail
cd "$(dirname "$0")/.."

export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
DB=${SKYLEDGER_PG_DB:-skyledger_ci}
log() { echo "[postgis] $*" >&2; }

command -v psql >/dev/null || { log "psql not found: apt-get install postgresql-client"; exit 1; }
if [ -d /etc/postgresql ]; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    SKYLEDGER_SETUP_ONLY_APT=1 scripts/setup.sh "postgresql-$version-postgis-3" >&2
    if ! pg_isready -q; then
        log "Starting PostgreSQL $version"
        pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2
        for _ in $(seq 30); do pg_isready -q && break; sleep 1; done
    fi
fi
pg_isready -q || { log "No PostgreSQL answers at $PGHOST:$PGPORT."; exit 1; }
if [ -n "${SKYLEDGER_PG_KEEP:-}" ] && psql -At -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    log "Keeping the existing database $DB (SKYLEDGER_PG_KEEP)"
else
    psql -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >&2
    psql -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DB" >&2
fi
psql -q -v ON_ERROR_STOP=1 -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS postgis" >&2
log "Fresh database $DB with PostGIS $(psql -At -d "$DB" -c 'SELECT postgis_lib_version()')"
echo "postgis://$PGUSER@$PGHOST:$PGPORT/$DB"

#!/bin/sh
# `make run`: the background worker (exports, reports) and the development server together.
# Both stop when either stops, or on Ctrl-C or kill: nothing is left running.
set -u
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${PORT:-8000}

$PY manage.py db_worker &
WORKER=$!
$PY manage.py runserver "127.0.0.1:$PORT" &
SERVER=$!

stop() {
  kill "$SERVER" "$WORKER" 2>/dev/null
  wait "$SERVER" "$WORKER" 2>/dev/null
}
trap 'stop; exit 130' INT TERM
trap stop EXIT

echo "SkyLedger on http://127.0.0.1:$PORT (admin: http://127.0.0.1:$PORT/admin/); background worker pid $WORKER"
# Return when either process ends; the EXIT trap stops the other.
while kill -0 "$SERVER" 2>/dev/null && kill -0 "$WORKER" 2>/dev/null; do
  sleep 1
done

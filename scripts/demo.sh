#!/usr/bin/env bash
# Serve the demo with daphne (HTTP and websockets). With REDIS_URL set, also run a
# Celery worker and beat beside it; without, a session sweeper. Ctrl-C stops all.
set -euo pipefail
BIN=${BIN:-.venv/bin}
PORT=${PORT:-8000}
# The bank's own error pages, never a traceback (DJANGO_DEBUG=1 for Django's), over
# plain local HTTP (no Secure cookies, no redirect to HTTPS).
export DJANGO_DEBUG="${DJANGO_DEBUG:-0}" DJANGO_HTTPS="${DJANGO_HTTPS:-0}"
pids=()

stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

if [ -n "${REDIS_URL:-}" ]; then
  echo "Full stack on $REDIS_URL: Celery worker and beat start beside daphne."
  # Workers use plain connections, not the ASGI processes' pool (settings.py).
  BANKDEMO_ROLE=worker "$BIN/celery" -A bankdemo worker --loglevel=INFO --concurrency=2 &
  pids+=($!)
  BANKDEMO_ROLE=worker "$BIN/celery" -A bankdemo beat --loglevel=INFO --schedule="${TMPDIR:-/tmp}/bankdemo-beat-schedule" &
  pids+=($!)
else
  echo "Embedded stack: SQLite, in-process channel layer, Celery tasks run in-process."
  # No beat here: this sweeper ends the records of sessions that expired unseen.
  "$BIN/python" manage.py sweep_sessions --every 60 &
  pids+=($!)
fi
echo "Open http://127.0.0.1:$PORT/ (alice / demo-alice-2026). Ctrl-C stops."
"$BIN/daphne" -b 127.0.0.1 -p "$PORT" bankdemo.asgi:application &
pids+=($!)
wait "${pids[-1]}"

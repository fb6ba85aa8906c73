#!/bin/sh
# The task worker (webhook processing, email, "refresh all"), as its own container or process:
#   docker run --env-file prod.env commerce-portal docker/worker.sh
# exec, so that it is PID 1 and stops cleanly on the orchestrator's SIGTERM.
set -eu
cd "$(dirname "$0")/.."
python manage.py check --deploy --fail-level ERROR
exec python manage.py db_worker --no-reload --no-startup-delay

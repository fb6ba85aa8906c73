#!/bin/sh
# Container start: refuse a dangerous configuration, then become gunicorn, so that it is
# PID 1 and receives the orchestrator's SIGTERM for a graceful shutdown.
# Migrations are a separate release step: `python manage.py migrate` in a one-off container.
set -eu
cd "$(dirname "$0")/.."
python manage.py check --deploy --fail-level ERROR
exec gunicorn -c gunicorn.conf.py commerce_portal.wsgi

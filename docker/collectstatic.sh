#!/bin/sh
# Static files, collected and hashed at build time. The sandbox is switched on here (as a
# declared demo) so its stylesheet is collected too and one image serves live and demo mode.
# The values below only get settings past their start-up checks, for this one command.
set -eu
cd "$(dirname "$0")/.."
exec env -u CODAT_API_KEY -u DJANGO_READ_DOT_ENV_FILE \
    DEBUG=false CODAT_SANDBOX_DEMO=true \
    SECRET_KEY=collectstatic-at-build-time-only-never-used-to-sign-anything \
    ALLOWED_HOSTS=build.invalid CSRF_TRUSTED_ORIGINS=https://build.invalid \
    python manage.py collectstatic --noinput

#!/bin/sh
# Builds the runtime virtualenv at $VIRTUAL_ENV: pyproject's [project] dependencies, pinned by
# requirements.lock; never the [dev] extra. The app itself runs from its source tree (WORKDIR),
# so it is not installed, which would leave a second, shadowed copy in site-packages.
set -eu
: "${VIRTUAL_ENV:?set VIRTUAL_ENV to the virtualenv to build}"
cd "$(dirname "$0")/.."

[ -x "$VIRTUAL_ENV/bin/python" ] || python3 -m venv "$VIRTUAL_ENV"
python="$VIRTUAL_ENV/bin/python"
requirements="$(mktemp)"
trap 'rm -f "$requirements"' EXIT

"$python" docker/lock.py requirements > "$requirements"
"$python" -m pip install --quiet --require-virtualenv -c requirements.lock -r "$requirements"
"$python" docker/lock.py verify

# syntax=docker/dockerfile:1
# Commerce Portal: gunicorn serving Django, static files by whitenoise.
#   docker build -t commerce-portal .
#   docker run --env-file prod.env commerce-portal python manage.py migrate   # release step
#   docker run --env-file prod.env -p 8000:8000 commerce-portal
#   docker run --env-file prod.env commerce-portal docker/worker.sh             # the task worker
# Every build step is a script under docker/; tests/deploy runs the same scripts without Docker.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS builder
ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
# Dependencies first, so that code changes reuse this layer.
COPY pyproject.toml requirements.lock ./
COPY docker/install.sh docker/lock.py docker/
RUN --mount=type=cache,target=/root/.cache/pip docker/install.sh
COPY . .
RUN docker/collectstatic.sh

FROM ${PYTHON_IMAGE} AS runtime
ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=8000
RUN groupadd --system --gid 10001 portal \
    && useradd --system --uid 10001 --gid portal --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin portal
WORKDIR /app
# Owned by root and read-only to the app user: a compromised worker cannot rewrite the code.
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "docker/healthcheck.py"]
CMD ["docker/start.sh"]

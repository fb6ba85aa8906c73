"""Gunicorn settings for the container (docker/start.sh), read from the environment."""

import os

_cores = os.cpu_count() or 1

bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# Threaded workers: a hand-off spends up to CODAT_HANDOFF_TIMEOUT (20 s) waiting on Codat, not
# on the CPU, so each process serves many requests at once. 2 x cores + 1 processes (capped so a
# big host does not exhaust database connections: workers x threads connections at most) of 8
# threads; at most CODAT_HANDOFF_CONCURRENCY (half the threads) of them wait on Codat at once,
# so the other half keep answering /healthz and ordinary pages however slow Codat is. Slow
# clients are the buffering proxy's to wait for (deploy/nginx.conf), never a thread's.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * _cores + 1, 12))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Above CODAT_HANDOFF_TIMEOUT, so a slow hand-off ends in our error page, not a killed worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Idle keep-alive connections (from the proxy's upstream pool) wait in the worker's event loop,
# not in a thread.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Which proxies may tell gunicorn the scheme; Django trusts X-Forwarded-Proto only
# with SECURE_PROXY_SSL_HEADER=true, and the proxy must overwrite that header.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# %(U)s is the path alone: Sync Flow one-time codes travel in query strings, and the
# Referer (%(f)s) can carry one back from Codat, so neither %(r)s nor %(q)s nor %(f)s.
# Request-derived values (the decoded path, the User-Agent) escaped: a %0A cannot forge a line.
logger_class = "commerce_portal.gunicorn_logging.EscapingLogger"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s" %({x-request-id}o)s'

# The heartbeat file on tmpfs: on overlay filesystems fchmod can stall a worker.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"
# Nobody drives gunicornc here, and the non-root user has no home for its socket.
control_socket_disable = True
preload_app = False

"""gunicorn settings for `make run` and production; override with PORTICO_* variables."""

from __future__ import annotations

import os

bind = os.environ.get("PORTICO_BIND", "127.0.0.1:8000")
# Two sync workers suit the two-core machines Portico is measured on.
workers = int(os.environ.get("PORTICO_WORKERS", "2"))
worker_class = "sync"
timeout = 30
accesslog = "-"
errorlog = "-"
# The request path without its query string: a gateway may pass a
# subscription key as ?subscription-key=..., and keys never go to logs.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss'
# ... and set-password links, which are keys to an account, are redacted.
logger_class = "portal.gunicorn_logging.RedactingLogger"

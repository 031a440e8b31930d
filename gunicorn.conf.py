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

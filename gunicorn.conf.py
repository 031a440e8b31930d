"""gunicorn settings for `make run` and production; override with PORTICO_* variables.

One file for both listeners: the portal (PORTICO_LISTENER unset or `portal`)
and the key check's own (PORTICO_LISTENER=gateway), which the Procfile runs
side by side.
"""

from __future__ import annotations

import os

_gateway = os.environ.get("PORTICO_LISTENER") == "gateway"

if _gateway:
    bind = os.environ.get("PORTICO_GATEWAY_BIND", "127.0.0.1:8001")
    workers = int(os.environ.get("PORTICO_GATEWAY_WORKERS", "2"))
    proc_name = "portico-gateway"
else:
    bind = os.environ.get("PORTICO_BIND", "127.0.0.1:8000")
    # Two sync workers suit the two-core machines Portico is measured on.
    workers = int(os.environ.get("PORTICO_WORKERS", "2"))
    proc_name = "portico"
worker_class = "sync"
timeout = 30
accesslog = "-"
errorlog = "-"
# The request path without its query string: a gateway may pass a
# subscription key as ?subscription-key=..., and keys never go to logs.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss'
# ... and set-password links, which are keys to an account, are redacted.
logger_class = "portal.gunicorn_logging.RedactingLogger"
# gunicorn's control socket defaults to one path per OS user, which every
# instance on the machine would share (and fight over). Portico doesn't use
# it; PORTICO_CONTROL_SOCKET names a socket of this instance's own.
control_socket = os.environ.get("PORTICO_CONTROL_SOCKET", "")
control_socket_disable = not control_socket

"""Settings for bench/run only: the project's own, plus what measuring needs.

The two floor views (bench/urls.py) and a middleware that counts each
request's queries into a response header. Nothing else differs, so the pages
measured are the ones production serves.
"""

from __future__ import annotations

from portal.settings import *  # noqa: F403
from portal.settings import MIDDLEWARE, PORTICO_LISTENER

# First, so that the session's and the user's queries are counted too.
MIDDLEWARE = ["bench.middleware.count_queries", *MIDDLEWARE]
if PORTICO_LISTENER == "portal":
    ROOT_URLCONF = "bench.urls"

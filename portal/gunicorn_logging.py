"""gunicorn's access log, minus the secrets some paths carry."""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger

# /password/set/<uidb64>/<token>/ is a single-use key to an account.
SECRET_PATHS = re.compile(r"^(/password/set/)[^/]+/[^/]+/")


def redact(path: str) -> str:
    return SECRET_PATHS.sub(r"\1…/…/", path)


class RedactingLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = redact(atoms.get("U", ""))
        return atoms

"""How a display name becomes the key uniqueness compares, and the ID proposed for it.

It imports no models, so the system groups' data migration can use it too.
"""

from __future__ import annotations

import re
import unicodedata

MAX_ID_LENGTH = 256


def fold_name(display_name: str) -> str:
    """The form of a name that uniqueness compares: Unicode-normalised and case folded."""
    return unicodedata.normalize("NFKC", display_name).casefold()


def propose_id(display_name: str) -> str:
    """A lowercase ID from a display name; static/js/entity-form.js does the same.

    Accents are dropped ("Café" → "cafe"); every run of other characters
    becomes one hyphen. Names with no usable letters propose nothing.
    """
    ascii_name = (
        unicodedata.normalize("NFKD", display_name).encode("ascii", "ignore").decode("ascii")
    )
    slug = re.sub(r"[^a-z0-9._]+", "-", ascii_name.lower()).strip("-.")
    return slug[:MAX_ID_LENGTH].rstrip("-.")

"""The portal's branding: its name, accent colour and logo, read on every portal page and
changed only here.

Portal pages read the branding from the "shared" cache, tagged with a
generation as portal/counts.py does: every change writes a new generation
(at once, and again after the commit), so a copy read before a change is
never shown after it, on any node. A cache that doesn't answer costs one
read of the row, not the page.

Without Redis the shared cache is a database table: reading it would cost a
portal page one query, as much as reading the row. There each process keeps
the row it read for LOCAL_SECONDS instead. A change shows at once in the
process that made it (and in every process with Redis); other processes of
a node without Redis show it within LOCAL_SECONDS.
"""

from __future__ import annotations

import hashlib
import logging
import struct
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Final
from uuid import uuid4

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from audit.services import Ref, record
from audit.services import changes as value_changes
from content.colours import WHITE
from content.models import DEFAULT_ACCENT, DEFAULT_PORTAL_NAME, Branding
from portal.counts import CACHE_ERRORS
from portal.entities import update_entity

logger = logging.getLogger(__name__)

LOGO_MAX_BYTES = 256 * 1024
LOGO_MAX_SIDE = 1024
LOGO_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WebP"}

# The branding as the activity record names it (settings.branding).
RECORD_REF = Ref("settings", "branding", "Branding")

CACHE_KEY = "content:branding"
GENERATION_KEY = "content:branding:generation"
# Belt and braces: a change made behind the services' back (raw SQL, a
# restored backup) shows within this time.
CACHE_SECONDS = 300
LOCAL_SECONDS = 5


@dataclass(frozen=True)
class Brand:
    """What a portal page shows of the branding (the logo's bytes stay in the database)."""

    portal_name: str = DEFAULT_PORTAL_NAME
    accent_colour: str = DEFAULT_ACCENT
    version: int = 0
    logo_type: str = ""

    @property
    def has_logo(self) -> bool:
        return bool(self.logo_type)

    @property
    def has_own_accent(self) -> bool:
        return self.accent_colour != DEFAULT_ACCENT

    @property
    def topbar_text(self) -> str:
        # Any accepted accent reaches 4.5:1 with white.
        return WHITE


def _read() -> Brand:
    row = (
        Branding.objects.filter(pk=1)
        .values("portal_name", "accent_colour", "version", "logo_type")
        .first()
    )
    return Brand(**row) if row else Brand()


# (when it was read, what was read), in a process whose shared cache is the
# database's; and how often it was dropped, so that a copy read just before
# a drop (the old row) isn't kept just after it.
_local: tuple[float, Brand] | None = None
_drops = 0


def current() -> Brand:
    """The branding portal pages show, from the shared cache while nothing changed."""
    global _local
    if not isinstance(caches["shared"], DatabaseCache):
        try:
            return _cached()
        except CACHE_ERRORS:
            logger.warning("The shared cache did not answer; reading the branding directly")
            return _read()
    kept = _local
    if kept is not None and time.monotonic() - kept[0] < LOCAL_SECONDS:
        return kept[1]
    drops = _drops
    brand = _read()
    if drops == _drops:
        _local = (time.monotonic(), brand)
    return brand


def forget() -> None:
    """Drop this process's copy: the next current() asks the shared cache."""
    global _local, _drops
    _drops += 1
    _local = None


def _cached() -> Brand:
    cache = caches["shared"]
    found = cache.get_many([GENERATION_KEY, CACHE_KEY])
    generation = found.get(GENERATION_KEY)
    if generation is None:
        generation = uuid4().hex
        cache.set(GENERATION_KEY, generation, timeout=None)
    stored = found.get(CACHE_KEY)
    if stored is not None and stored[0] == generation:
        try:
            return Brand(**stored[1])
        except TypeError:  # stored by another release, with other fields
            pass
    brand = _read()
    cache.set(CACHE_KEY, (generation, asdict(brand)), timeout=CACHE_SECONDS)
    return brand


def _new_generation() -> None:
    # A change must not fail because the cache is down: the stored copy
    # then expires within CACHE_SECONDS, and the log says why.
    try:
        caches["shared"].set(GENERATION_KEY, uuid4().hex, timeout=None)
    except CACHE_ERRORS:
        logger.warning("The shared cache did not answer; the branding may be stale a while")


def _changed() -> None:
    """The next current() reads the row again, here and on every node.

    This process's copy is dropped now, and again after the commit in case
    another thread read the old row meanwhile. With Redis the new generation
    is visible at once, so a copy another node stored meanwhile (the old
    row) is retired by a second generation after the commit.
    """
    forget()
    if connection.in_atomic_block:
        transaction.on_commit(forget)
    if not isinstance(caches["shared"], DatabaseCache):
        _new_generation()
        if connection.in_atomic_block:
            transaction.on_commit(_new_generation)


def load() -> Branding:
    """The branding row, made with the defaults the first time."""
    branding, _ = Branding.objects.get_or_create(pk=1)
    return branding


def recorded_values(branding: Branding) -> dict[str, Any]:
    """The branding as the activity record keeps it: the name and accent colour, and the
    logo as its type, size and SHA-256 (never its bytes)."""
    logo = bytes(branding.logo) if branding.logo is not None else None
    return {
        "portal_name": branding.portal_name,
        "accent_colour": branding.accent_colour,
        "logo_type": branding.logo_type,
        "logo_size": None if logo is None else len(logo),
        "logo_sha256": None if logo is None else hashlib.sha256(logo).hexdigest(),
    }


class Unchanged:
    """The logo argument's default: leave the logo as it is."""

    pass


UNCHANGED: Final = Unchanged()


@transaction.atomic
def update_branding(
    *,
    expected_version: int | None,
    logo: bytes | None | Unchanged = UNCHANGED,
    **changes: Any,
) -> Branding:
    """Change the name, accent colour and/or logo (None removes it).

    Refused (ConcurrentChangeError) if another administrator saved since
    expected_version; ValidationError names the field that is wrong. What
    changed is recorded as settings.branding (nothing when nothing did).
    """
    if "portal_name" in changes:
        changes["portal_name"] = changes["portal_name"].strip()
    if "accent_colour" in changes:
        changes["accent_colour"] = changes["accent_colour"].strip().lower()
    if logo is None:
        changes |= {"logo": None, "logo_type": ""}
    elif isinstance(logo, bytes):
        try:
            changes |= {"logo": logo, "logo_type": logo_type(logo)}
        except ValidationError as refused:
            raise ValidationError({"logo": refused.messages}) from None
    changes["updated_at"] = timezone.now()
    # Read under lock, so what the record says it was is what this change replaced.
    current = Branding.objects.select_for_update().filter(pk=1).first() or load()
    before = recorded_values(current)
    saved = update_entity(current, expected_version=expected_version, changes=changes)
    old, new = value_changes(before, recorded_values(saved))
    if new:
        record("settings.branding", RECORD_REF, before=old, after=new)
    _changed()
    return saved


def set_logo(*, expected_version: int | None, content: bytes) -> Branding:
    """Replace the logo with an uploaded PNG, JPEG or WebP image."""
    return update_branding(expected_version=expected_version, logo=content)


def remove_logo(*, expected_version: int | None) -> Branding:
    """Show the portal's name alone in the top bar."""
    return update_branding(expected_version=expected_version, logo=None)


def logo_type(content: bytes) -> str:
    """The media type of an acceptable logo, read from its bytes (never its name).

    PNG, JPEG or WebP, at most LOGO_MAX_BYTES and LOGO_MAX_SIDE pixels a
    side; anything else (SVG, which can carry script, included) is refused.
    """
    if not content:
        raise ValidationError("The file is empty.")
    if len(content) > LOGO_MAX_BYTES:
        raise ValidationError(
            f"The logo is {len(content) / 1024:.0f} KB; it can be at most 256 KB."
        )
    found = _image_size(content)
    if found is None:
        raise ValidationError(
            "Upload a PNG, JPEG or WebP image. SVG and other formats are refused."
        )
    media_type, width, height = found
    if not (width and height):
        raise ValidationError(
            f"This {LOGO_TYPES[media_type]} image's size can't be read; save it again."
        )
    if width > LOGO_MAX_SIDE or height > LOGO_MAX_SIDE:
        raise ValidationError(
            f"The logo is {width}×{height} pixels; it can be at most "
            f"{LOGO_MAX_SIDE}×{LOGO_MAX_SIDE}."
        )
    return media_type


def _image_size(content: bytes) -> tuple[str, int, int] | None:
    """(media type, width, height) from an image's header; 0 × 0 when unreadable, None when
    it is not a PNG, JPEG or WebP."""
    reader: Callable[[bytes], tuple[int, int]]
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        media_type, reader = "image/png", _png_size
    elif content.startswith(b"\xff\xd8\xff"):
        media_type, reader = "image/jpeg", _jpeg_size
    elif content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        media_type, reader = "image/webp", _webp_size
    else:
        return None
    try:
        return (media_type, *reader(content))
    except struct.error:
        return media_type, 0, 0


def _png_size(content: bytes) -> tuple[int, int]:
    if content[12:16] != b"IHDR":
        return 0, 0
    width, height = struct.unpack(">II", content[16:24])
    return width, height


# JPEG's start-of-frame markers (C4, C8 and CC are other segments).
_JPEG_FRAMES = {*range(0xC0, 0xD0)} - {0xC4, 0xC8, 0xCC}


def _jpeg_size(content: bytes) -> tuple[int, int]:
    at = 2
    while at + 4 <= len(content):
        if content[at] != 0xFF:
            return 0, 0
        marker = content[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD9:  # no length follows
            at += 2
            continue
        (length,) = struct.unpack(">H", content[at + 2 : at + 4])
        if marker in _JPEG_FRAMES:
            height, width = struct.unpack(">HH", content[at + 5 : at + 9])
            return width, height
        at += 2 + length
    return 0, 0


def _webp_size(content: bytes) -> tuple[int, int]:
    chunk = content[12:16]
    if chunk == b"VP8 " and content[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", content[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and content[20:21] == b"\x2f":
        bits = int.from_bytes(content[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(content) >= 30:
        return (
            int.from_bytes(content[24:27], "little") + 1,
            int.from_bytes(content[27:30], "little") + 1,
        )
    return 0, 0

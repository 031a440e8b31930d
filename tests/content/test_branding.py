"""The branding's services: the accent's contrast, the logo's checks by its bytes, the
optimistic concurrency of a save, and the shared cache that every change refreshes."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import transaction

from content import branding
from content.colours import AA, WHITE, contrast, darker_shade_that_passes, shown_ratio
from content.models import DEFAULT_ACCENT, Branding
from portal.entities import ConcurrentChangeError
from tests.content import images

pytestmark = pytest.mark.django_db


def test_the_contrast_formula_matches_wcags_examples():
    assert round(contrast("#000000", WHITE), 1) == 21.0
    assert round(contrast("#767676", WHITE), 2) == 4.54
    # Shown rounded down: a colour just under the bar never reads as 4.50:1.
    assert shown_ratio(4.4999) == "4.49:1"


@pytest.mark.parametrize(
    "colour", ["#ffdd00", "#ff0000", "#00ff00", "#777777", "#ffffff", "#0000fe"]
)
def test_the_suggested_shade_passes_and_keeps_the_hue(colour):
    shade = darker_shade_that_passes(colour)
    assert contrast(shade, WHITE) >= AA
    # The nearest: one step lighter would fail (unless the colour was fine already).
    if contrast(colour, WHITE) < AA:
        lighter = "#" + "".join(f"{min(255, int(shade[i : i + 2], 16) + 3):02x}" for i in (1, 3, 5))
        assert contrast(lighter, WHITE) < AA + 0.2


def test_the_default_accent_passes():
    assert contrast(DEFAULT_ACCENT, WHITE) >= AA


def test_update_saves_a_trimmed_name_and_a_lower_case_colour():
    saved = branding.update_branding(
        expected_version=None, portal_name="  Acme APIs  ", accent_colour="#0B5394"
    )
    assert (saved.portal_name, saved.accent_colour) == ("Acme APIs", "#0b5394")
    assert branding.current().portal_name == "Acme APIs"


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"accent_colour": "#ffdd00"}, "accent_colour", "1.34:1"),
        ({"accent_colour": "#ffdd00"}, "accent_colour", "Try #897600"),
        ({"accent_colour": "red"}, "accent_colour", "like #1f4e79"),
        ({"accent_colour": "#12345"}, "accent_colour", "like #1f4e79"),
        ({"portal_name": "   "}, "portal_name", ""),
        ({"portal_name": "x" * 61}, "portal_name", "at most 60"),
        ({"portal_name": "Acme\u0007"}, "portal_name", "control characters"),
    ],
)
def test_update_refuses_bad_values_and_changes_nothing(changes, field, text):
    before = branding.load()
    with pytest.raises(ValidationError) as refused:
        branding.update_branding(expected_version=None, **changes)
    assert field in refused.value.message_dict
    assert text in " ".join(refused.value.message_dict[field])
    after = Branding.objects.get(pk=1)
    assert (after.version, after.portal_name, after.accent_colour) == (
        before.version,
        before.portal_name,
        before.accent_colour,
    )


def test_a_stale_save_is_refused_and_changes_nothing():
    first = branding.load()
    branding.update_branding(expected_version=first.version, portal_name="Theirs")
    with pytest.raises(ConcurrentChangeError) as refused:
        branding.update_branding(expected_version=first.version, portal_name="Mine")
    assert refused.value.current.portal_name == "Theirs"
    assert Branding.objects.get(pk=1).portal_name == "Theirs"


@pytest.mark.parametrize(
    ("content", "media_type"),
    [
        (images.png(), "image/png"),
        (images.jpeg_header(300, 80), "image/jpeg"),
        (images.webp_lossless(300, 80), "image/webp"),
        (images.webp_lossy(300, 80), "image/webp"),
        (images.webp_extended(300, 80), "image/webp"),
    ],
)
def test_a_png_jpeg_or_webp_logo_is_kept_with_its_type(content, media_type):
    saved = branding.set_logo(expected_version=None, content=content)
    assert (bytes(saved.logo), saved.logo_type) == (content, media_type)
    assert branding.current().logo_type == media_type
    removed = branding.remove_logo(expected_version=saved.version)
    assert (removed.logo, removed.logo_type) == (None, "")
    assert not branding.current().has_logo


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (images.SVG, "SVG and other formats are refused"),
        (images.GIF, "SVG and other formats are refused"),
        (b"<html>not an image</html>", "SVG and other formats are refused"),
        (b"", "empty"),
        (images.png() + b"\x00" * (256 * 1024), "at most 256 KB"),
        (images.png(1025, 1), "1025×1 pixels"),
        (images.jpeg_header(800, 1500), "800×1500 pixels"),
        (images.webp_lossless(2000, 10), "2000×10 pixels"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "size can't be read"),
        (b"\xff\xd8\xff\xe0\x00", "size can't be read"),
    ],
)
def test_a_logo_that_is_not_a_small_png_jpeg_or_webp_is_refused(content, text):
    with pytest.raises(ValidationError) as refused:
        branding.set_logo(expected_version=None, content=content)
    assert text in " ".join(refused.value.message_dict["logo"])
    assert not Branding.objects.filter(pk=1, logo__isnull=False).exists()


def test_steady_state_costs_no_query_and_a_change_shows_at_once(django_assert_num_queries):
    branding.forget()
    assert branding.current().portal_name == "Portico"
    with django_assert_num_queries(0):
        assert branding.current().portal_name == "Portico"
    branding.update_branding(expected_version=None, portal_name="Renamed")
    assert branding.current().portal_name == "Renamed"


def test_without_redis_another_process_shows_a_change_within_seconds(
    monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(branding, "LOCAL_SECONDS", 5)
    branding.load()
    branding.forget()
    assert branding.current().portal_name == "Portico"
    # Another process saves: the row changes, this process's copy doesn't.
    Branding.objects.filter(pk=1).update(portal_name="Elsewhere", version=2)
    assert branding.current().portal_name == "Portico"
    later = branding.time.monotonic() + branding.LOCAL_SECONDS
    monkeypatch.setattr(branding.time, "monotonic", lambda: later)
    with django_assert_num_queries(1) as captured:
        assert branding.current().portal_name == "Elsewhere"
    assert "content_branding" in captured.captured_queries[0]["sql"]
    with django_assert_num_queries(0):
        assert branding.current().portal_name == "Elsewhere"


@pytest.fixture
def shared_redis(settings, redis_url):
    settings.CACHES = settings.CACHES | {
        "shared": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url.rsplit("/", 1)[0] + "/12",
            "KEY_PREFIX": f"branding-{uuid.uuid4().hex}",
        }
    }
    return caches["shared"]


def test_with_redis_a_copy_taken_before_the_commit_is_retired_by_it(
    shared_redis, django_capture_on_commit_callbacks, django_assert_num_queries
):
    cache = shared_redis
    assert branding.current().portal_name == "Portico"
    with django_assert_num_queries(0):
        assert branding.current().portal_name == "Portico"
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        branding.update_branding(expected_version=None, portal_name="Renamed")
        # Another node reads the new generation before the change commits,
        # reads the old row, and stores it.
        stale = {"portal_name": "Portico", "accent_colour": DEFAULT_ACCENT}
        stale |= {"version": 1, "logo_type": ""}
        cache.set(branding.CACHE_KEY, (cache.get(branding.GENERATION_KEY), stale))
    assert branding.current().portal_name == "Renamed"


def test_a_cache_that_does_not_answer_costs_a_read_not_the_page(settings, caplog):
    settings.CACHES = settings.CACHES | {
        "shared": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
    branding.update_branding(expected_version=None, portal_name="Still saved")
    assert branding.current().portal_name == "Still saved"
    assert "shared cache did not answer" in caplog.text


def test_a_copy_read_while_a_change_commits_is_not_kept(monkeypatch):
    read = branding._read

    def read_then_change_commits():
        brand = read()
        branding.forget()  # another thread's change commits meanwhile
        return brand

    monkeypatch.setattr(branding, "_read", read_then_change_commits)
    branding.forget()
    branding.current()
    assert branding._local is None


def test_a_copy_stored_by_another_release_is_read_again(shared_redis):
    branding.current()
    cache = shared_redis
    generation, stored = cache.get(branding.CACHE_KEY)
    cache.set(branding.CACHE_KEY, (generation, stored | {"retired_field": 1}))
    assert branding.current().portal_name == "Portico"

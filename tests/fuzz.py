"""Hostile input for the fuzz tests, and the settings they run under.

Text nobody should type (control characters, NUL, lone surrogates, more
characters than any field takes, SQL and HTML fragments, Unicode that
normalises or case-folds into something else, direction and zero-width
characters, emoji), JSON nobody should send (any value, nested deeper than a
parser should follow), and how a page or a body is checked for it: what must
never reach a page as markup, and a snapshot of every table to prove a refusal
changed nothing.

Two ways in: a sweep puts one text of each kind (one_of_each) in every field
in turn, the same every run; random examples mix everything above. Random
examples per test: PORTICO_FUZZ_EXAMPLES (default 8, about 35 s for the whole
suite on SQLite and 50 s on PostgreSQL). Runs are the same every time unless
PORTICO_FUZZ_RANDOM=true, which draws new examples and keeps the failing ones
in .hypothesis/ to replay; `make fuzz` does that with 200 a test.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import quote_from_bytes

from django.apps import apps
from django.db import connection, transaction
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

DEFAULT_EXAMPLES = 8
# Apps whose tables a request may write.
# App labels (the management API keeps the label "api").
PROJECT_APPS = (
    "audit",
    "portal",
    "sso",
    "groups",
    "products",
    "apis",
    "subscriptions",
    "content",
    "reviews",
    "api",
    "scim",
)
# Columns that change without anybody's submission: a sign-in, a token's use.
VOLATILE_COLUMNS = frozenset({"last_login", "last_used_at"})


def _examples() -> int:
    raw = os.environ.get("PORTICO_FUZZ_EXAMPLES", str(DEFAULT_EXAMPLES))
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"PORTICO_FUZZ_EXAMPLES must be a whole number from 1, got {raw!r}")
    return int(raw)


def _random() -> bool:
    raw = os.environ.get("PORTICO_FUZZ_RANDOM", "false")
    if raw not in ("true", "false"):
        raise ValueError(f"PORTICO_FUZZ_RANDOM must be 'true' or 'false', got {raw!r}")
    return raw == "true"


_RANDOM = _random()
settings.register_profile(
    "portico-fuzz",
    max_examples=_examples(),
    deadline=None,
    derandomize=not _RANDOM,
    # A derandomized run has nothing to replay, and reports a failure as it
    # found it: shrinking one whose body is 200 kB of nesting took minutes.
    # A random run keeps its failures and shrinks them.
    **({} if _RANDOM else {"database": None, "phases": (Phase.explicit, Phase.generate)}),
    # Each example runs in a savepoint that is rolled back (rolled_back()),
    # so function-scoped fixtures (the client, the rows every example starts
    # from) are the same for every example. Huge strings are the point.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
# The decorator every fuzz test wears.
fuzz_settings = settings.get_profile("portico-fuzz")


@contextmanager
def rolled_back(client: Any = None) -> Iterator[None]:
    """One example, in a savepoint rolled back at its end: no example sees another's rows.

    The client's cookies are put back too, so that an example that signs in
    or out leaves the next one the session it started with.
    """
    cookies = copy.deepcopy(client.cookies) if client is not None else None
    try:
        with transaction.atomic():
            yield
            transaction.set_rollback(True)
    finally:
        if client is not None:
            client.cookies = cookies


# --- Text --------------------------------------------------------------------

NUL = "\x00"
CONTROL_CHARACTERS = (*(chr(code) for code in range(1, 32)), "\x7f", "\x85", "\x9b")
WHITESPACE = (" ", "\t", "\n", "\r\n", "\xa0", "\u2028", "\u2029", "\u3000", "\x1c")
SQL_FRAGMENTS = (
    "' OR '1'='1",
    "'; DROP TABLE portal_user; --",
    '" OR ""="',
    "') OR ('a'='a",
    "%' AND 1=1 --",
    "%_%",
    "\\",
    "1 UNION SELECT password FROM portal_user",
    "$$; SELECT pg_sleep(0); $$",
    "E'\\x00'",
)
HTML_FRAGMENTS = (
    '<script>alert("portico")</script>',
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</textarea><script>alert(2)</script>",
    "<iframe src=javascript:alert(3)>",
    '<a href="javascript:alert(4)">x</a>',
    "[click](javascript:alert(5))",
    "{{ request.user.password }}",
    "{% debug %}",
    "&lt;script&gt;",
    "<!--",
)
# The start of every tag above: none of these may reach a page unescaped.
RAW_MARKUP = (
    "<script>alert",
    "<img src=x",
    "<svg onload",
    "<iframe src=javascript",
    'href="javascript:',
)
# Pairs that look alike, or become alike once normalised (NFKC) or case
# folded: composed and decomposed é, the Ångström and Kelvin signs,
# fullwidth letters, ligatures, Turkish dotted and dotless i, sharp s.
LOOK_ALIKES = (
    "é",
    "e\u0301",
    "Å",
    "\u212b",
    "K",
    "\u212a",
    "Ｐｏｒｔｉｃｏ",
    "ﬁ",
    "ﬀ",
    "ß",
    "ẞ",
    "SS",
    "ı",
    "İ",
    "i\u0307",
    "ǅ",
    "\u2126",
    "①",
)
# Characters that grow when normalised and folded: one U+FDFA is 18 after NFKC.
EXPANDING = ("\ufdfa", "\ufdfb", "\u3300", "ﬃ", "ß", "ΐ")
# Direction overrides and invisible characters.
FORMAT_CHARACTERS = (
    "\u202e",
    "\u202d",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\xad",
    "\u061c",
    "\u2066",
    "\u2069",
)
EMOJI = ("🙂", "👩\u200d💻", "🏳️\u200d🌈", "🇫🇷", "👍🏽", "\U0001f9d1\u200d\U0001f680")
LONE_SURROGATES = ("\ud800", "\udbff", "\udc00", "\udfff")
FRAGMENTS = (
    NUL,
    *CONTROL_CHARACTERS,
    *WHITESPACE,
    *SQL_FRAGMENTS,
    *HTML_FRAGMENTS,
    *LOOK_ALIKES,
    *EXPANDING,
    *FORMAT_CHARACTERS,
    *EMOJI,
)


@cache
def longer_than(limit: int) -> st.SearchStrategy[str]:
    """Text of more characters than a field of this max_length takes."""
    return st.builds(
        lambda piece, extra: piece * (limit // len(piece) + 1 + extra),
        st.sampled_from(
            ("x", "é", "🙂", "\u202e", *EXPANDING, HTML_FRAGMENTS[0], SQL_FRAGMENTS[1])
        ),
        st.integers(0, 2),
    )


@cache
def filling(limit: int) -> st.SearchStrategy[str]:
    """Text of exactly this many characters, of the kind that grows when normalised."""
    return st.sampled_from(("x", "é", *EXPANDING, *EMOJI[:1])).map(lambda piece: piece * limit)


@cache
def hostile_text(*, limit: int = 300, surrogates: bool = False) -> st.SearchStrategy[str]:
    """Text to put in a field that takes up to `limit` characters.

    Short mixtures of the fragments above and arbitrary characters, one
    fragment alone, or text as long as the field or longer. Lone surrogates
    only where the transport carries them (a JSON escape such as \\ud800).
    """
    pieces = [st.sampled_from(FRAGMENTS), st.text(st.characters(), min_size=1, max_size=6)]
    if surrogates:
        pieces.append(st.sampled_from(LONE_SURROGATES))
    return st.one_of(
        st.lists(st.one_of(*pieces), min_size=1, max_size=5).map("".join),
        st.sampled_from(FRAGMENTS),
        longer_than(limit),
        filling(limit),
    )


def one_of_each(limit: int, *, password: bool = False) -> dict[str, str]:
    """One text of each hostile kind, for a field that takes up to `limit` characters;
    for a password, the commonest one too."""
    kinds = {
        "NUL": f"before{NUL}after",
        "control characters": "a\x01\x08\x1b[31m\x7f\x9bz",
        "lone surrogates": "\ud800 and \udfff",
        "longer than the field": "x" * (limit + 1),
        "as long as the field, growing when normalised": EXPANDING[0] * limit,
        "SQL and HTML": SQL_FRAGMENTS[1] + HTML_FRAGMENTS[0] + HTML_FRAGMENTS[1],
        "look-alikes, direction marks and emoji": " ".join(
            (*LOOK_ALIKES, "\u202eevil\u202c\u200b\ufeff\xad", *EMOJI)
        ),
        "whitespace only": "".join(WHITESPACE),
    }
    return kinds | ({"the commonest password": "password"} if password else {})


def form_encoded(fields: list[tuple[str, str]]) -> bytes:
    """An application/x-www-form-urlencoded body, as a browser sends one.

    Form posts are UTF-8, which can't carry a lone surrogate; one goes as
    the three bytes that would encode it (ED A0 80 for U+D800), which are
    not valid UTF-8, as a broken client might send.
    """
    return "&".join(f"{_quoted(name)}={_quoted(value)}" for name, value in fields).encode("ascii")


def _quoted(text: str) -> str:
    return quote_from_bytes(text.encode("utf-8", "surrogatepass"), safe="")


def as_received(text: str) -> str:
    """Text as Django decodes it from a form post: invalid UTF-8 becomes U+FFFD."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


# --- JSON --------------------------------------------------------------------


def json_values(*, limit: int = 300) -> st.SearchStrategy[Any]:
    """Any JSON value: hostile text, numbers of every size, and nesting a few levels deep."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from((2**63, -(2**63) - 1, 2**64, 10**400, 0, -1)),
        st.floats(allow_nan=False, allow_infinity=False),
        hostile_text(limit=limit, surrogates=True),
    )
    keys = st.one_of(st.sampled_from(("properties", "displayName", "", NUL)), st.text(max_size=8))
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=3)
        ),
        max_leaves=8,
    )


NESTING_DEPTHS = (1_001, 5_000, 100_000)


def nested_json(levels: int, kind: str) -> str:
    """JSON text of arrays (kind "array") or objects nested this many levels deep."""
    if kind == "array":
        return "[" * levels + "]" * levels
    return '{"a":' * levels + "1" + "}" * levels


def deeply_nested() -> st.SearchStrategy[str]:
    """JSON text nested deeper than Python's recursion limit (arrays or objects)."""
    return st.builds(
        nested_json, st.sampled_from(NESTING_DEPTHS), st.sampled_from(("array", "object"))
    )


def json_text(value: Any) -> bytes:
    """A JSON body; lone surrogates go as the \\udXXX escapes JSON allows."""
    return json.dumps(value, ensure_ascii=True).encode("ascii")


@dataclass(frozen=True)
class Body:
    """A request body, and the properties it holds when it is Azure's envelope."""

    raw: bytes
    properties: Any = None

    def __repr__(self) -> str:
        # Failure reports quote the body; a nested one is 200 kB.
        text = self.raw[:200].decode("utf-8", "backslashreplace")
        return f"Body({text!r}{'…' if len(self.raw) > 200 else ''}, {len(self.raw)} bytes)"


def envelope(properties: Any) -> Body:
    """Azure's envelope around a resource's properties."""
    return Body(json_text({"properties": properties}), properties)


def nested_body(*, levels: int, kind: str, in_properties: bool) -> Body:
    """A body nested this deep: the whole of it, or a property inside the envelope."""
    text = nested_json(levels, kind)
    if in_properties:
        text = f'{{"properties": {{"x": {text}}}}}'
    return Body(text.encode())


def bodies(properties: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Body]:
    """Bodies of a PUT, PATCH or POST: mostly the envelope, else anything but."""
    wrapped = properties.map(envelope)
    return st.one_of(
        wrapped,
        wrapped,
        wrapped,
        json_values().map(lambda value: Body(json_text(value))),
        st.sampled_from(MALFORMED_BODIES).map(Body),
        # Built from a description, so that a failure report quotes it and not
        # 200 kB of brackets.
        st.builds(
            nested_body,
            levels=st.sampled_from(NESTING_DEPTHS),
            kind=st.sampled_from(("array", "object")),
            in_properties=st.booleans(),
        ),
    )


MALFORMED_BODIES = (
    b"",
    b"{",
    b"null",
    b"[]",
    b'"properties"',
    b"\xff\xfe{}",
    b'{"properties": {"displayName": "\xed\xa0\x80"}}',
    b'{"properties": {"displayName": NaN}}',
    b'{"properties": {"displayName": Infinity}}',
    b'{"properties": {"subscriptionsLimit": 1e400}}',
    b'{"properties": {"displayName": "a\\u0000b"}}',
    b'{"properties": {"displayName": "a", "displayName": "b"}}',
    b'{"properties": []}',
    b'{"properties": "x"}',
)


# --- Checks --------------------------------------------------------------------


class Sweep:
    """The cases of a sweep, each failure kept, so that one doesn't hide the others."""

    def __init__(self) -> None:
        self.failures: list[tuple[str, BaseException]] = []

    @contextmanager
    def case(self, label: str) -> Iterator[None]:
        try:
            yield
        except Exception as error:
            self.failures.append((label, error))

    def done(self) -> None:
        if self.failures:
            lines = [f"{label}: {type(error).__name__}: {error}" for label, error in self.failures]
            raise AssertionError(
                f"{len(self.failures)} failed:\n" + "\n".join(lines)
            ) from self.failures[0][1]


def raw_markup(page: str) -> list[str]:
    """The starts of hostile tags that reached the page unescaped."""
    return [marker for marker in RAW_MARKUP if marker in page]


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every project table, in primary-key order, to compare before and after.

    Plain SQL, one query a table: it runs twice for every request fuzzed.
    """
    tables = {}
    with connection.cursor() as cursor:
        for label, sql in _snapshot_queries():
            cursor.execute(sql)
            tables[label] = cursor.fetchall()
    return tables


@cache
def _snapshot_queries() -> list[tuple[str, str]]:
    queries = []
    quote = connection.ops.quote_name
    for app in PROJECT_APPS:
        for model in apps.get_app_config(app).get_models():
            columns = ", ".join(
                quote(field.column)
                for field in model._meta.concrete_fields
                if field.attname not in VOLATILE_COLUMNS
            )
            table = quote(model._meta.db_table)
            pk = quote(model._meta.pk.column)
            queries.append((model._meta.label, f"SELECT {columns} FROM {table} ORDER BY {pk}"))
    return queries


def changed_tables(
    before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]
) -> list[str]:
    return sorted(label for label in before if before[label] != after[label])

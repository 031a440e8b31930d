"""apis.documents: OpenAPI documents read, refused with the line at fault, and compared."""

from __future__ import annotations

import json

import pytest
import yaml

from apis.documents import MAX_DOCUMENT_BYTES, DocumentError, difference, read
from tests.conftest import openapi_text

YAML_DOCUMENT = """\
openapi: 3.0.3
info:
  title: Pickups
  version: "2.1"
  description: Book a courier.
paths:
  /pickups:
    get:
      operationId: listPickups
      summary: List pickups
      tags: [Pickups]
      responses:
        "200":
          description: The pickups.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Pickup"
components:
  schemas:
    Pickup:
      type: object
      properties:
        id: {type: string}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(DocumentError) as refused:
        read(text)
    return [str(problem) for problem in refused.value.problems]


def test_reads_yaml_with_its_title_version_and_operations():
    document = read(YAML_DOCUMENT)

    assert (document.title, document.api_version, document.version) == ("Pickups", "2.1", "3.0.3")
    assert document.description == "Book a courier."
    [operation] = document.operations
    assert (operation.name, operation.method, operation.url_template) == (
        "listPickups",
        "GET",
        "/pickups",
    )
    assert (operation.display_name, operation.tags) == ("List pickups", ("Pickups",))


def test_reads_json_and_openapi_3_1():
    document = read(openapi_text(version="3.1.0"))

    assert document.version == "3.1.0"
    assert [op.name for op in document.operations] == [
        "listShipments",
        "createShipment",
        "getShipment",
        "cancelShipment",
    ]


def test_reads_swagger_2():
    swagger = {
        "swagger": "2.0",
        "info": {"title": "Legacy", "version": "1"},
        "paths": {"/things": {"get": {"responses": {"200": {"description": "OK"}}}}},
    }

    document = read(json.dumps(swagger))

    assert document.is_swagger
    assert [(op.name, op.display_name) for op in document.operations] == [
        ("get-things", "GET /things")
    ]


def test_an_invalid_document_names_the_line_of_the_fault():
    broken = YAML_DOCUMENT.replace(
        "      tags: [Pickups]\n",
        "      tags: [Pickups]\n      parameters:\n        - name: q\n          in: nowhere\n",
    )

    [problem] = problems(broken)

    assert problem.startswith("Line 13: ")
    assert "/paths/~1pickups/get/parameters/0" in problem


def test_a_json_syntax_error_names_its_line():
    text = openapi_text().replace('"paths": {', '"paths": {,', 1)

    [problem] = problems(text)

    assert problem.startswith(
        f"Line {text.splitlines().index('  "paths": {,') + 1}: This isn't valid JSON"
    )


def test_a_yaml_syntax_error_names_its_line():
    [problem] = problems("openapi: 3.0.3\ninfo:\n  title: [unclosed\n  version: 1\n")

    assert problem.startswith("Line ") and "isn't valid YAML" in problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "openapi: 4.0.0\ninfo: {}\n",
            "Line 1: Portico reads OpenAPI 3.0 and 3.1 and Swagger 2.0; this document says "
            "openapi: 4.0.0.",
        ),
        (
            "swagger: '1.2'\n",
            "Line 1: Portico reads Swagger 2.0, OpenAPI 3.0 and 3.1; this document says "
            "swagger: 1.2.",
        ),
        (
            "info: {title: x}\n",
            "Line 1: This doesn't look like an OpenAPI document: it has neither an openapi "
            "nor a swagger field.",
        ),
        ("- a list\n", "Line 1: An OpenAPI document is an object with openapi, info and paths."),
        ("   \n", "The document is empty. Paste or upload an OpenAPI file."),
    ],
)
def test_wrong_versions_and_shapes_are_refused_in_words(text, expected):
    assert problems(text) == [expected]


def test_an_external_ref_is_refused_without_touching_the_network():
    text = YAML_DOCUMENT.replace(
        '"#/components/schemas/Pickup"', "https://schemas.example.com/pickup.json"
    )

    [problem] = problems(text)

    assert problem.startswith(
        "Line 18: $ref https://schemas.example.com/pickup.json points outside"
    )
    assert "fetches nothing from the network" in problem


def test_a_relative_file_ref_is_refused_too():
    text = YAML_DOCUMENT.replace('"#/components/schemas/Pickup"', "./pickup.yaml")

    assert "points outside the document" in problems(text)[0]


def test_a_ref_to_nothing_is_refused_with_its_line():
    text = YAML_DOCUMENT.replace('schemas/Pickup"', 'schemas/Parcel"')

    assert problems(text) == [
        "Line 18: $ref #/components/schemas/Parcel points to nothing in this document. "
        "(at /paths/~1pickups/get/responses/200/content/application~1json/schema/$ref)"
    ]


def test_a_huge_document_is_refused_before_parsing():
    huge = "x" * (MAX_DOCUMENT_BYTES + 1)

    assert problems(huge) == ["The document is larger than 5 MB. Split it into several APIs."]


def test_too_many_operations_are_refused():
    operations = [("get", f"/items/{i}", f"item{i}", []) for i in range(2001)]

    assert problems(openapi_text(operations=operations)) == [
        "The document has 2,001 operations; Portico serves at most 2,000 in one API. "
        "Split it into several APIs."
    ]


def test_yaml_aliases_are_refused_so_a_small_file_cannot_grow_huge():
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"

    assert problems(bomb) == [
        "Line 1: YAML anchors and aliases (&name, *name) aren't accepted; write the repeated "
        "part out or use a $ref."
    ]


def test_deep_nesting_is_refused():
    deep = '{"openapi": "3.0.3", "x": ' + "[" * 2000 + "]" * 2000 + "}"

    assert "nested" in problems(deep)[0]


def test_yaml_dates_become_text():
    document = read(YAML_DOCUMENT.replace('version: "2.1"', "version: 2024-05-01"))

    assert document.api_version == "2024-05-01"


def test_operation_ids_follow_azures_rules_and_stay_unique():
    operations = [
        ("get", "/a", "list things!", []),
        ("post", "/a", "list things?", []),
        ("get", "/b/{id}", "", []),
    ]

    names = [op.name for op in read(openapi_text(operations=operations)).operations]

    assert names == ["list-things", "list-things-2", "get-b-id"]


def test_difference_names_added_changed_and_removed_operations():
    before = read(openapi_text())
    old = [(op.method, op.url_template, op.fingerprint) for op in before.operations]
    after = json.loads(openapi_text())
    after["paths"]["/shipments"]["get"]["summary"] = "Every shipment"
    del after["paths"]["/shipments/{id}"]["delete"]
    after["paths"]["/labels"] = {"get": {"responses": {"200": {"description": "OK"}}}}

    changes = difference(old, read(json.dumps(after)).operations)

    assert [op.url_template for op in changes.added] == ["/labels"]
    assert [(op.method, op.url_template) for op in changes.changed] == [("GET", "/shipments")]
    assert changes.removed == [("DELETE", "/shipments/{id}")]
    assert changes.unchanged == 2
    assert not changes.is_empty


def test_the_same_document_in_yaml_is_no_difference():
    before = read(openapi_text())
    old = [(op.method, op.url_template, op.fingerprint) for op in before.operations]

    again = read(yaml.safe_dump(json.loads(openapi_text())))

    assert difference(old, again.operations).is_empty


BASE = '{"openapi": "3.0.3", "info": {"title": "x", "version": "1"}, "paths": {}, "x-n": '
NUMBER_PROBLEM = (
    "A number in the document is too long, or isn't a number JSON can hold (NaN, Infinity). "
    "Write it as text or shorten it."
)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1" * 5000])
def test_numbers_json_cannot_hold_are_refused(number):
    """Found by review: a 5,000-digit number was a 500, NaN a refusal about a duplicate name."""
    assert problems(BASE + number + "}") == [NUMBER_PROBLEM]


def test_a_json_number_too_big_for_a_float_is_refused_with_its_line():
    assert problems(BASE + "1e999}") == [f"Line 1: {NUMBER_PROBLEM} (at /x-n)"]


@pytest.mark.parametrize("number", [".inf", "-.Inf", ".nan", "1" * 5000])
def test_yaml_numbers_json_cannot_hold_are_refused(number):
    text = f'openapi: 3.0.3\ninfo: {{title: x, version: "1"}}\npaths: {{}}\nx-n: {number}\n'

    assert NUMBER_PROBLEM in problems(text)[0]


def test_a_shared_path_item_must_live_under_components_path_items():
    text = (
        'openapi: 3.1.0\ninfo: {title: x, version: "1"}\npaths:\n'
        '  /admin:\n    $ref: "#/x-shared/admin"\n'
        "x-shared:\n  admin:\n    post: {responses: {'200': {description: ok}}}\n"
    )

    assert problems(text) == [
        "Line 5: The path /admin refers to #/x-shared/admin; a shared path item must be under "
        "#/components/pathItems/ (or written out in place). (at /paths/~1admin/$ref)"
    ]
    shared = (
        text.replace("#/x-shared/admin", "#/components/pathItems/admin")
        .replace("x-shared:", "components:\n  pathItems:")
        .replace("  admin:\n    post", "    admin:\n      post")
    )
    assert [op.name for op in read(shared).operations] == ["post-admin"]


def chain(levels: int, word: str = "allOf", **top: object) -> str:
    """A document whose schema S0 is `word: [S1, S1]`, S1 is `word: [S2, S2]`, and so on:
    a few lines that a validator following each $ref where it stands meets 2^levels times."""
    schemas: dict[str, object] = {
        f"S{n}": {word: [{"$ref": f"#/components/schemas/S{n + 1}"}] * 2} for n in range(levels)
    }
    schemas["S0"] = {**schemas["S0"], **top}  # type: ignore[dict-item]
    schemas[f"S{levels}"] = {"type": "object", "properties": {"x": {"type": "string"}}}
    schema = {"$ref": "#/components/schemas/S0"}
    ok = {"description": "OK", "content": {"application/json": {"schema": schema}}}
    content = {
        "openapi": "3.0.3",
        "info": {"title": "Diamonds", "version": "1"},
        "paths": {"/a": {"get": {"operationId": "a", "responses": {"200": ok}}}},
        "components": {"schemas": schemas},
    }
    return json.dumps(content, indent=2)


@pytest.mark.parametrize("levels", [18, 60])
def test_schemas_that_double_at_each_level_are_refused_before_checking(levels):
    # Counted, not walked: 2^60 meetings would never end if they were made.
    with pytest.raises(DocumentError) as refused:
        read(chain(levels))

    (problem,) = refused.value.problems
    assert problem.message.startswith(
        "The document's schemas refer to each other so many times that checking it would "
        "take too long (over 50,000 expansions)"
    )
    assert problem.pointer == "/components/schemas/S0"
    lines = [line.strip() for line in chain(levels).splitlines()]
    assert problem.line == lines.index('"S0": {') + 1


def test_a_few_levels_of_shared_parts_are_accepted():
    document = read(chain(8))

    assert [operation.name for operation in document.operations] == ["a"]


def test_a_default_is_counted_with_its_schema_followed():
    # anyOf alone is checked once per schema, but a default is checked through every $ref.
    assert read(chain(18, word="anyOf")).operations
    with pytest.raises(DocumentError, match="so many times"):
        read(chain(18, word="anyOf", default={"x": "a"}))


def test_a_schema_that_contains_itself_is_refused_without_hanging():
    content = json.loads(chain(2))
    content["components"]["schemas"]["S2"] = {"allOf": [{"$ref": "#/components/schemas/S0"}]}

    with pytest.raises(DocumentError):
        read(json.dumps(content))

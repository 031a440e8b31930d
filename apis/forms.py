"""The console's forms for APIs: import, re-import and Settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from apis import documents
from apis.documents import Document, DocumentError
from apis.models import Api
from portal.forms import EntityCreateForm, EntitySettingsForm

MEGABYTE = 1024 * 1024
# The protocols an administrator chooses from; ws and wss come with WebSocket APIs.
# The model's help text has <gateway> in it, which a form would show as a tag.
PATH_HELP = (
    "Appended to the gateway's address, as in https://gateway.example.com/suffix/. "
    "Use letters, digits and - . _ ~, with / between segments."
)
PROTOCOL_CHOICES = [("http", "HTTP"), ("https", "HTTPS")]


def _size(count: int) -> str:
    return f"{count / MEGABYTE:.1f} MB" if count >= MEGABYTE // 10 else f"{count:,} bytes"


def read_upload(upload: UploadedFile) -> str:
    """An uploaded file's text: UTF-8, with or without a byte order mark."""
    limit = documents.MAX_DOCUMENT_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            f"The file is {_size(upload.size)}; a document may be at most "
            f"{limit // MEGABYTE} MB. Split it into several APIs.",
            code="too_big",
        )
    raw = upload.read(limit + 1)
    if len(raw) > limit:
        raise ValidationError(
            f"The file is larger than {limit // MEGABYTE} MB. Split it into several APIs.",
            code="too_big",
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError(
            f"The file isn't UTF-8 text (byte {error.start + 1:,} can't be read). Save it as "
            "UTF-8 and upload it again.",
            code="not_utf8",
        ) from None


class DocumentFields(forms.Form):
    """An OpenAPI document, uploaded as a file or pasted as text.

    An uploaded file is read into the text box, so that when the document
    is refused the administrator corrects it there instead of uploading
    again. `document` holds the parsed document once the form is valid.
    """

    document_file = forms.FileField(
        label="Upload an OpenAPI file",
        required=False,
        help_text="JSON or YAML: OpenAPI 3.0 or 3.1, or Swagger 2.0, up to 5 MB. A file you "
        "upload is used instead of the text below.",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".json,.yaml,.yml,application/json,application/yaml,text/yaml"}
        ),
    )
    document_text = forms.CharField(
        label="Or paste the document",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "class": "font-monospace", "spellcheck": "false"}),
    )

    document: Document | None = None
    # The name of the file that was read into the text box, to say so.
    kept_upload = ""

    def read_document(self) -> None:
        """Parse the document; its problems become errors of the text box, one a line."""
        upload = self.cleaned_data.get("document_file")
        text = self.cleaned_data.get("document_text") or ""
        if upload:
            try:
                text = read_upload(upload)
            except ValidationError as error:
                self.add_error("document_file", error)
                return
            # Shown in the text box if the form comes back.
            data = self.data.copy()  # type: ignore[attr-defined]
            data[self.add_prefix("document_text")] = text
            self.data = data
            self.cleaned_data["document_text"] = text
            self.kept_upload = upload.name or "the file"
        try:
            self.document = documents.read(text)
        except DocumentError as error:
            self.add_error(
                "document_text",
                [ValidationError(str(problem), code="document") for problem in error.problems],
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.read_document()
        return cleaned


class ApiImportForm(DocumentFields, EntityCreateForm):
    """+ Add API: a document, and what it doesn't say (the ID, the URL suffix)."""

    protocols = forms.MultipleChoiceField(
        choices=PROTOCOL_CHOICES,
        initial=["https"],
        widget=forms.CheckboxSelectMultiple,
        help_text="How developers may call it through the gateway.",
        error_messages={"required": "Choose at least one protocol."},
    )

    class Meta:
        model = Api
        fields = ["display_name", "name", "path", "service_url", "protocols"]
        labels = {"display_name": "Name"}
        help_texts = {
            "path": PATH_HELP,
            "display_name": "Left blank, the document's title.",
            "name": "Used in URLs and the API. Proposed from the name; it can't be changed later.",
        }
        widgets = EntityCreateForm.ENTITY_WIDGETS

    field_order = ["document_file", "document_text", "display_name", "name", "path"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["display_name"].required = False
        self.fields["display_name"].widget.attrs.pop("autofocus", None)

    def clean_protocols(self) -> str:
        return ",".join(self.cleaned_data["protocols"])

    def clean(self) -> dict[str, Any]:
        cleaned = forms.Form.clean(self) or {}
        self.read_document()
        if not cleaned.get("display_name") and "display_name" not in self.errors:
            title = self.document.title[:300] if self.document is not None else ""
            if title:
                try:
                    cleaned["display_name"] = title
                    cleaned["display_name"] = self.clean_display_name()
                except ValidationError as error:
                    del cleaned["display_name"]
                    self.add_error(
                        "display_name",
                        f"{error.messages[0]} The document's title is “{title}”; enter "
                        "another name.",
                    )
            elif self.document is not None:
                self.add_error("display_name", "The document has no title; enter a name.")
        # The ID proposed from the name, as EntityCreateForm does.
        return EntityCreateForm.clean(self)

    def fields_for_service(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class DocumentForm(DocumentFields):
    """Re-import: a new document for an API."""


class ReimportConfirmForm(DocumentFields):
    """Confirm on the re-import preview: the document again, and the version it was
    compared with."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)


class ApiSettingsForm(EntitySettingsForm):
    """Everything but the ID and the document."""

    protocols = forms.MultipleChoiceField(
        choices=PROTOCOL_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one protocol."},
    )

    class Meta:
        model = Api
        fields = [
            "display_name",
            "description",
            "path",
            "service_url",
            "protocols",
            "api_version",
            "api_revision",
            "subscription_required",
        ]
        labels = {"display_name": "Name"}
        help_texts = {"path": PATH_HELP}
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["protocols"] = self.instance.protocol_list
        # ws and wss, set through the API, are kept and shown.
        extra = [(p, p.upper()) for p in self.instance.protocol_list if p not in ("http", "https")]
        protocols = self.fields["protocols"]
        assert isinstance(protocols, forms.MultipleChoiceField)
        protocols.choices = [*PROTOCOL_CHOICES, *extra]

    def clean_protocols(self) -> str:
        return ",".join(self.cleaned_data["protocols"])

"""Files attached to a case: checked by their real content (not the name or the type the browser declared),
all of them before any is kept, and stored under a random name.

Accepted: JPEG, PNG, WebP and GIF pictures (Pillow must be able to read them), PDF documents (they start with
``%PDF-``) and plain text (UTF-8 without control characters). The limits come from the settings
``CASE_ATTACHMENT_MAX_BYTES`` (per file) and ``CASE_ATTACHMENT_MAX_FILES`` (per submission).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from servicecycle.cases.models import Case, CaseAttachment, CaseMessage
from servicecycle.core import audit
from servicecycle.core.errors import ValidationFailed

FIELD = "attachments"
SNIFF_BYTES = 64 * 1024

# detected type -> (content type served, stored suffix, file name endings that may carry it)
TYPES: dict[str, tuple[str, str, frozenset[str]]] = {
    "jpeg": ("image/jpeg", ".jpg", frozenset({".jpg", ".jpeg", ".jpe", ".jfif"})),
    "png": ("image/png", ".png", frozenset({".png"})),
    "webp": ("image/webp", ".webp", frozenset({".webp"})),
    "gif": ("image/gif", ".gif", frozenset({".gif"})),
    "pdf": ("application/pdf", ".pdf", frozenset({".pdf"})),
    "text": ("text/plain", ".txt", frozenset({".txt", ".text", ".log", ".csv", ".md", ""})),
}
IMAGE_FORMATS = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
MAX_IMAGE_PIXELS = 80_000_000  # larger pictures are refused rather than decoded (decompression bombs)
ALLOWED_LABEL = "JPEG, PNG, WebP, GIF, PDF, TXT"


def max_bytes() -> int:
    return int(getattr(settings, "CASE_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))


def max_files() -> int:
    return int(getattr(settings, "CASE_ATTACHMENT_MAX_FILES", 5))


@dataclass(frozen=True)
class CheckedFile:
    upload: UploadedFile
    name: str  # the customer's own file name, trimmed to what the model keeps
    kind: str  # a key of TYPES

    @property
    def content_type(self) -> str:
        return TYPES[self.kind][0]

    @property
    def suffix(self) -> str:
        return TYPES[self.kind][1]


def _head(upload: UploadedFile, size: int) -> bytes:
    upload.seek(0)
    data = upload.read(size)
    upload.seek(0)
    return bytes(data)


def _image_kind(upload: UploadedFile) -> str | None:
    from PIL import Image, UnidentifiedImageError

    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = image.format or ""
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    finally:
        upload.seek(0)
    if width * height > MAX_IMAGE_PIXELS:
        return None
    return IMAGE_FORMATS.get(image_format)


def _is_text(upload: UploadedFile) -> bool:
    upload.seek(0)
    try:
        data = upload.read().decode("utf-8")
    except UnicodeDecodeError:
        return False
    finally:
        upload.seek(0)
    allowed_controls = {"\t", "\n", "\r", "\f"}
    return not any(ord(ch) < 32 and ch not in allowed_controls for ch in data) and "\x7f" not in data


def detect(upload: UploadedFile) -> str | None:
    """The kind of file by its content (a key of TYPES), or None when it is none of the accepted kinds."""
    head = _head(upload, SNIFF_BYTES)
    if head.startswith(b"%PDF-"):
        return "pdf"
    image = _image_kind(upload)
    if image is not None:
        return image
    if _is_text(upload):
        return "text"
    return None


def check_files(files: Iterable[UploadedFile]) -> list[CheckedFile]:
    """Check every file; raise one ValidationFailed on ``attachments`` naming each bad file and why."""
    uploads = [f for f in files if f is not None]
    errors: list[str] = []
    if len(uploads) > max_files():
        errors.append(
            _("You can attach at most %(count)d files at a time; you chose %(chosen)d.")
            % {"count": max_files(), "chosen": len(uploads)}
        )
    checked: list[CheckedFile] = []
    for upload in uploads:
        name = PurePath(str(upload.name or "file")).name.strip() or "file"
        shown = name[:255]
        size = upload.size or 0
        if size == 0:
            errors.append(_("“%(name)s” is empty.") % {"name": shown})
            continue
        if size > max_bytes():
            errors.append(
                _("“%(name)s” is %(size)s; each file can be at most %(limit)s.")
                % {"name": shown, "size": filesizeformat(size), "limit": filesizeformat(max_bytes())}
            )
            continue
        kind = detect(upload)
        if kind is None:
            errors.append(
                _("“%(name)s” is not a file type we accept. Send pictures or documents as %(types)s.")
                % {"name": shown, "types": ALLOWED_LABEL}
            )
            continue
        suffix = PurePath(name).suffix.lower()
        if suffix not in TYPES[kind][2]:
            errors.append(
                _("The content of “%(name)s” does not match its name (%(suffix)s). Accepted: %(types)s.")
                % {"name": shown, "suffix": suffix or "—", "types": ALLOWED_LABEL}
            )
            continue
        checked.append(CheckedFile(upload=upload, name=shown, kind=kind))
    if errors:
        raise ValidationFailed({FIELD: errors})
    return checked


def add_attachments(
    *,
    case: Case,
    files: Sequence[UploadedFile],
    message: CaseMessage | None = None,
    from_customer: bool = True,
    acting_user: Any = None,
) -> list[CaseAttachment]:
    """Keep the files on the case (and the message they came with); nothing is kept when any file is refused.

    Callers check who may add files (the status link's token, or staff access to the case) before calling,
    and call this last in their transaction, so nothing after the files are written can roll the rows back.
    """
    checked = check_files(files)
    if not checked:
        return []
    if message is not None and message.case_id != case.pk:
        raise ValidationFailed({"message": [_("The message belongs to another case.")]})
    with transaction.atomic():
        stored: list[CaseAttachment] = []
        try:
            for item in checked:
                attachment = CaseAttachment(
                    case=case,
                    message=message,
                    original_name=item.name,
                    content_type=item.content_type,
                    size=item.upload.size or 0,
                    from_customer=from_customer,
                )
                item.upload.seek(0)
                # the stored name is random (see models.attachment_path); its suffix follows the real content
                attachment.file.save(f"upload{item.suffix}", item.upload, save=False)
                attachment.save()
                stored.append(attachment)
        except Exception:
            for attachment in stored:
                attachment.file.delete(save=False)
            raise
        audit.record(
            actor=acting_user,
            organization_id=case.organization_id,
            verb="case.attachments_added",
            obj=case,
            changes={"attachments": [a.original_name for a in stored], "from_customer": from_customer},
        )
    return stored

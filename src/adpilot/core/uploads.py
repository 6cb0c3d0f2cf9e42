"""Reading an uploaded file from a request: a ``multipart/form-data`` form (its ``file`` field, as a browser's form
or ``FormData`` sends it) or the file as the whole body (``text/csv``, as the other imports take it).

The form is parsed with the standard library's MIME parser instead of a multipart dependency: an upload here is one
small file, read whole with a size limit before anything is parsed.
"""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from typing import Any

from starlette.requests import Request

from adpilot.core.errors import AppError

# What a form adds around the file: the boundaries and each part's headers.
FORM_OVERHEAD_BYTES = 16 * 1024


class UploadTooLarge(AppError):
    status_code = 413
    code = "upload-too-large"
    title = "The file is too large"


class UploadMissing(AppError):
    status_code = 400
    code = "upload-missing"
    title = "Send a file: a multipart form with a `file` field, or the file as the body"


def upload_request_body(description: str, media_type: str = "text/csv") -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of an upload route (for ``openapi_extra``): a form with ``file``, or the file."""
    return {
        "required": True,
        "description": description,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            media_type: {"schema": {"type": "string"}},
        },
    }


async def read_upload(request: Request, *, max_bytes: int, field: str = "file") -> bytes:
    """The uploaded file's bytes; UploadTooLarge past ``max_bytes``, UploadMissing without a file."""
    content_type = request.headers.get("content-type", "")
    is_form = content_type.lower().startswith("multipart/form-data")
    limit = max_bytes + FORM_OVERHEAD_BYTES if is_form else max_bytes
    too_large = UploadTooLarge(f"The file is larger than {_size(max_bytes)}.", max_bytes=max_bytes)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    content = _form_file(content_type, bytes(body), field) if is_form else bytes(body)
    if len(content) > max_bytes:
        raise too_large
    return content


def _form_file(content_type: str, body: bytes, field: str) -> bytes:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise UploadMissing("The form could not be read: its boundary is missing or wrong.")
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == field:
            payload = part.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else b""
    raise UploadMissing(f"The form has no `{field}` field.")


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit % (1024 * 1024) == 0 else f"{limit // 1024} kB"

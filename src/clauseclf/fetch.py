"""Fetching a policy from a web address (http or https) with the standard library's urllib.

The request has a timeout and the body a size limit; the server's content type decides the
format (HTML, plain text, Markdown; PDF and Word documents are read as files are) and anything
else is refused. Every failure is a ``FetchError`` that shows the address exactly as given.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message

from clauseclf import __version__
from clauseclf.documents import decode_document
from clauseclf.errors import FetchError

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
# Media type -> input format; ``None``: the bytes are read as a file is (PDF, Word).
_FORMAT_BY_TYPE: dict[str, str | None] = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/plain": "text",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "application/pdf": None,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": None,
}


@dataclass(frozen=True)
class FetchedDocument:
    """A fetched policy: its text, the address asked for, the address it was served from after
    redirects (``final_url``), the input format and the server's media type."""

    url: str
    final_url: str
    text: str
    format: str
    content_type: str


def is_url(value: str) -> bool:
    """Whether ``value`` is an http or https address (nothing else is fetched)."""
    return value[:8].lower().startswith(("http://", "https://"))


def fetch_document(
    url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    encoding: str | None = None,
) -> FetchedDocument:
    """Fetch the policy at ``url`` (http or https) and decode it.

    ``encoding`` overrides the charset the server declares. Raises ``FetchError`` when the
    address cannot be fetched (offline, refused, HTTP error, timeout), the body is larger than
    ``max_bytes`` or its media type is not a document; ``DocumentError`` (``EncodingError``)
    when the body cannot be decoded.
    """
    if not is_url(url):
        raise FetchError(f"{url}: not an http or https address")
    request = urllib.request.Request(url, headers={"User-Agent": f"clauseclf/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            final_url = str(response.geturl())
            headers: Message = response.headers
            media_type = headers.get_content_type() if headers.get("Content-Type") else ""
            if media_type and media_type not in _FORMAT_BY_TYPE:
                raise FetchError(
                    f"{url}: serves {media_type}, not a policy document (HTML, plain text, "
                    "Markdown, PDF or Word)"
                )
            declared = headers.get("Content-Length")
            if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"{url}: {_too_large(int(declared), max_bytes)}")
            data = response.read(max_bytes + 1)
    except FetchError:
        raise
    except urllib.error.HTTPError as exc:
        raise FetchError(f"could not fetch {url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise FetchError(f"could not fetch {url}: {_reason(exc.reason, timeout)}") from None
    except TimeoutError as exc:
        raise FetchError(f"could not fetch {url}: {_reason(exc, timeout)}") from None
    except (OSError, ValueError) as exc:
        raise FetchError(f"could not fetch {url}: {exc}") from None
    if len(data) > max_bytes:
        raise FetchError(f"{url}: {_too_large(None, max_bytes)}")
    charset = headers.get_content_charset() if media_type.startswith("text/") else None
    fmt = _FORMAT_BY_TYPE.get(media_type) or "auto"
    text = decode_document(data, name=final_url, encoding=encoding or charset)
    return FetchedDocument(
        url=url, final_url=final_url, text=text, format=fmt, content_type=media_type
    )


def _reason(reason: object, timeout: float) -> str:
    if isinstance(reason, TimeoutError | socket.timeout):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, socket.gaierror):
        return f"the host name could not be resolved (offline?): {reason.strerror or reason}"
    if isinstance(reason, OSError) and reason.strerror:
        return str(reason.strerror)
    return str(reason)


def _too_large(size: int | None, limit: int) -> str:
    got = f"{size / 1e6:.1f} MB" if size is not None else "more"
    return f"the document is too large ({got}; the limit is {limit / 1e6:.1f} MB)"

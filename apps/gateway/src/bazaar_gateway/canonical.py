"""One canonical path: a path that two parsers could read two ways is refused, never guessed.

The gateway authorizes the decoded path and forwards the raw one; the two agree only if decoding
cannot add, remove or merge segments. So `.`/`..` (plain or `%2E`), encoded `/ ? # % \\`, empty
segments, control characters, raw non-ASCII and malformed or non-UTF-8 escapes are refused.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote_to_bytes

# RFC 3986 path characters (unreserved, sub-delims, ':' '@', '/') and percent escapes.
_RAW_PATH = re.compile(r"/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*")
_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
# Escapes whose decoded character would change how the path splits, ends or decodes again.
_STRUCTURAL = re.compile(r"%(2[fF]|3[fF]|23|25|5[cC])")


class AmbiguousPath(ValueError):
    """The path could be read in more than one way; refused before authorization."""


def decoded_path(raw_path: str) -> str:
    """The decoded form of `raw_path`, which decodes to the same segments for every reader."""
    _check_characters(raw_path)
    return "/" + "/".join(_decoded_segment(raw) for raw in raw_path[1:].split("/"))


def _check_characters(raw_path: str) -> None:
    if not _RAW_PATH.fullmatch(raw_path):
        raise AmbiguousPath(
            "the path must start with '/' and hold only URL path characters: percent-encode "
            "anything else (backslashes, spaces, control and non-ASCII characters are refused)"
        )
    if _ESCAPE.search(raw_path):
        raise AmbiguousPath("every '%' in the path must start an escape of two hex digits")
    if found := _STRUCTURAL.search(raw_path):
        raise AmbiguousPath(
            f"the path holds {found.group(0)!r}: an encoded '/', '?', '#', '%' or '\\' is "
            "refused, since servers disagree on what it means"
        )


def _decoded_segment(raw: str) -> str:
    """A segment without an escape is its own decoded form, and holds only the printable ASCII
    `_check_characters` let through, so only a segment with one is decoded and searched for
    control characters (most paths have none: the ~15 µs of decoding is skipped)."""
    if not raw:
        raise AmbiguousPath("the path has an empty segment ('//' or a trailing '/')")
    segment = _decoded_escapes(raw) if "%" in raw else raw
    if segment in (".", ".."):
        raise AmbiguousPath(f"segment {raw!r} is a dot segment; send the path it should resolve to")
    return segment


def _decoded_escapes(raw: str) -> str:
    try:
        segment = unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise AmbiguousPath(f"segment {raw!r} is not percent-encoded UTF-8") from None
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in segment):
        raise AmbiguousPath(f"segment {raw!r} holds a control or format character")
    return segment

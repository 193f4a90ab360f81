"""The bearer token every request and the WebSocket must carry.

Generated on first use and kept in a 0600 file in orc's 0700 data folder (core/paths.py), so
only this user can read it; `orc serve --show-token` prints it for the phone. It is compared in
constant time and never accepted from a URL or a cookie: URLs end up in logs and browser
history, and a cookie would be sent by any page the browser opens (cross-site requests).
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from orc.core.paths import data_dir, private_file

TOKEN_BYTES = 32
SUBPROTOCOL = "orc.bearer"  # Sec-WebSocket-Protocol: orc.bearer, <token>


def token_path() -> Path:
    return data_dir() / "serve-token"


def load_token(path: Path | None = None) -> str:
    """The token, created on first use (file 0600 in a 0700 folder)."""
    path = path or token_path()
    private_file(path)
    text = path.read_text(encoding="utf-8").strip()
    if len(text) < 16:
        text = secrets.token_urlsafe(TOKEN_BYTES)
        tmp = path.with_name(path.name + ".new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        os.replace(tmp, path)
    return text


def token_matches(expected: str, given: str | None) -> bool:
    if not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer TOKEN` header."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def subprotocol_token(header: str | None) -> str | None:
    """The token offered as `Sec-WebSocket-Protocol: orc.bearer, TOKEN` (browsers cannot set
    headers on a WebSocket; this one is neither a URL nor a cookie)."""
    if not header:
        return None
    parts = [p.strip() for p in header.split(",")]
    if len(parts) == 2 and parts[0] == SUBPROTOCOL:
        return parts[1]
    return None

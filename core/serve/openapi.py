"""The OpenAPI document of `orc serve`, as served at /openapi.json and checked into
docs/openapi.json (tests/serve/test_openapi.py fails when the two differ).

Regenerate: `.venv/bin/python -m orc.core.serve.openapi > docs/openapi.json`.
"""

from __future__ import annotations

import json
from typing import Any


def document() -> dict[str, Any]:
    from orc.core.room import Room
    from orc.core.serve.app import create_app

    # Building the app reads nothing from the room: an unopened one describes the same routes.
    return dict(create_app(Room(), "unused").app.openapi())


def text() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(text(), end="")

"""docs/openapi.json is the document the server serves: a route or model changed without
regenerating it fails here."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ROOT

pytest.importorskip("fastapi")


def test_the_checked_in_openapi_document_is_current() -> None:
    from orc.core.serve.openapi import text

    checked_in = (ROOT / "docs" / "openapi.json").read_text(encoding="utf-8")
    assert json.loads(checked_in) == json.loads(text()), (
        "docs/openapi.json is stale: .venv/bin/python -m orc.core.serve.openapi > docs/openapi.json"
    )


def test_the_platform_endpoints_are_in_it() -> None:
    from orc.core.serve.openapi import document

    paths = document()["paths"]
    for path, method in [
        ("/api/agents/schedule-task", "post"),
        ("/api/agents/deploy-persistent", "post"),
        ("/api/agents/tmux-status", "get"),
        ("/api/agents/cross-communicate", "post"),
        ("/api/agents/git-checkpoint", "post"),
    ]:
        assert method in paths[path]

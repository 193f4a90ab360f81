"""The SSH bed's own rule: no sshd skips a test on a developer's machine, fails it in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hosts import sshd_bed


def test_missing_sshd_skips_locally_and_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sshd_bed, "SSHD", tmp_path / "no-sshd")
    monkeypatch.delenv("ORC_REQUIRE_AGENTS", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-sshd is missing"):
        sshd_bed.require_sshd()
    monkeypatch.setenv("ORC_REQUIRE_AGENTS", "1")
    with pytest.raises(pytest.fail.Exception, match="apt-get install openssh-server"):
        sshd_bed.require_sshd()

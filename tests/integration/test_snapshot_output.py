"""`orc snapshot -o` somewhere it cannot write (issue 12, item 4): one line, exit 1; a device
or folder is never replaced."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from orc.core.cli import main
from tests.db_faults import no_server, read_only


def snapshot(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["-L", no_server(), "--db", str(tmp_path / "orc.sqlite"), "snapshot", *args])
    _, err = capsys.readouterr()
    assert "Traceback" not in err and err.count("\n") == (0 if code == 0 else 1), err
    return code, err


@pytest.mark.parametrize(
    ("target", "says"),
    [("missing/deeper/room.md", "no such directory"), ("/proc/room.md", "could not write")],
)
def test_unwritable_places_are_one_line_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str, says: str
) -> None:
    out = tmp_path / target if not target.startswith("/") else Path(target)
    code, err = snapshot(tmp_path, capsys, "-o", str(out))
    assert code == 1 and str(out) in err and says in err


def test_read_only_folder_is_one_line_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    with read_only(folder):
        code, err = snapshot(tmp_path, capsys, "-o", str(folder / "room.md"))
    assert code == 1 and "could not write" in err
    assert list(folder.iterdir()) == []  # no temp file left behind


@pytest.mark.parametrize("force", [False, True])
def test_a_device_is_never_replaced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], force: bool
) -> None:
    code, err = snapshot(tmp_path, capsys, "-o", "/dev/null", *(["--force"] if force else []))
    assert code == 2 and "/dev/null" in err
    assert stat.S_ISCHR(Path("/dev/null").stat().st_mode)


def test_a_writable_folder_still_works(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = snapshot(tmp_path, capsys, "-o", str(tmp_path / "room.md"))
    assert code == 0 and (tmp_path / "room.md").read_text(encoding="utf-8").startswith("# orc")

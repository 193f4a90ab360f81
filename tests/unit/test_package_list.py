"""pyproject.toml lists orc's packages by hand (core/ and tui/ are mapped to orc.core and
orc.tui with package-dir, which find: cannot follow): a new folder left off that list is simply
missing from the wheel. This fails first, in seconds, instead of the package test."""

from __future__ import annotations

import tomllib

from tests.source_tree import ROOT


def test_every_package_folder_is_in_the_wheel_list() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = set()
    for folder, name in (("core", "orc.core"), ("tui", "orc.tui")):
        for init in (ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((name, *parts)))
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert listed - found == set(), "listed in pyproject.toml but no such package"

"""Themes are data: TOML files in the repo's `themes/` and in the user's `~/.config/orc/themes/`.

The shipped ones are read through importlib.resources as `tui/theme_files/`, a symlink to the
top-level `themes/` folder, so a checkout and an installed wheel (where the build copied the
files into the package) find them the same way. A user file with the same `name` as a shipped one
replaces it. A broken file is reported and skipped rather than stopping the control room from
starting.
"""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from textual.theme import Theme

SHIPPED_DIR: Traversable = resources.files("orc.tui") / "theme_files"
DEFAULT_THEME = "orc-dark"
SIXTEEN_COLOUR_THEME = "orc-16"


def user_themes_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "orc" / "themes"


class ThemeFile(BaseModel):
    """The fields of textual.theme.Theme that a file may set; anything else is a typo."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    primary: str
    secondary: str | None = None
    warning: str | None = None
    error: str | None = None
    success: str | None = None
    accent: str | None = None
    foreground: str | None = None
    background: str | None = None
    surface: str | None = None
    panel: str | None = None
    boost: str | None = None
    dark: bool = True
    ansi: bool = False
    luminosity_spread: float = 0.15
    text_alpha: float = 0.95
    variables: dict[str, str] = Field(default_factory=dict)

    def theme(self) -> Theme:
        return Theme(**self.model_dump())


def load_theme(path: Traversable) -> Theme:
    """One theme file; ValueError with the file name and the problem when it is invalid."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return ThemeFile.model_validate(data).theme()
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "file"
        raise ValueError(f"{path}: {where}: {first['msg']}") from exc


def load_themes(*dirs: Traversable) -> tuple[list[Theme], list[str]]:
    """Themes from the shipped and user folders (later folders win), plus one line per error."""
    folders = dirs or (SHIPPED_DIR, user_themes_dir())
    themes: dict[str, Theme] = {}
    errors: list[str] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        files = (f for f in folder.iterdir() if f.is_file() and f.name.endswith(".toml"))
        for path in sorted(files, key=lambda f: f.name):
            try:
                theme = load_theme(path)
            except ValueError as exc:
                errors.append(str(exc))
                continue
            themes[theme.name] = theme
    return list(themes.values()), errors


def theme_for_terminal(saved: str | None, known: frozenset[str]) -> str:
    """The theme this session uses: the saved one, unless the terminal announces only 16
    colours, where a truecolour theme would draw grey on grey: then the 16-colour theme (what
    `orc doctor` says is used there)."""
    default = preferred_default()
    if not saved or saved not in known:
        return default
    if default == SIXTEEN_COLOUR_THEME:
        return SIXTEEN_COLOUR_THEME
    return saved


def preferred_default() -> str:
    """A terminal that does not announce 256 colours or truecolor gets the 16-colour theme."""
    term = os.environ.get("TERM", "")
    colorterm = os.environ.get("COLORTERM", "")
    if colorterm in ("truecolor", "24bit") or "256" in term or "direct" in term:
        return DEFAULT_THEME
    if term in ("", "dumb", "linux", "xterm", "screen", "tmux", "vt100", "vt220", "ansi"):
        return SIXTEEN_COLOUR_THEME
    return DEFAULT_THEME

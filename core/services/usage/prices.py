"""The price table (prices.toml beside this file: dated, per model, US$ per million tokens),
overridable per model by `[usage.prices."MODEL"]` in orc's config file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from orc.core.errors import BadInput
from orc.core.paths import config_path


@dataclass(frozen=True, slots=True)
class Price:
    input: float = 0.0
    output: float = 0.0
    cache_read: float = 0.0
    cache_write: float = 0.0


@dataclass(frozen=True, slots=True)
class PriceTable:
    updated: str
    models: dict[str, Price]

    def price(self, model: str) -> Price | None:
        """The model's price: exact name, else the longest listed name that begins it (a
        provider prefix such as `openai/` is dropped first)."""
        name = model.rsplit("/", 1)[-1]
        if name in self.models:
            return self.models[name]
        best = max((m for m in self.models if name.startswith(m)), key=len, default="")
        return self.models.get(best)


def _price(raw: Any, where: str) -> Price:
    if not isinstance(raw, dict):
        raise BadInput(f"{where}: a table of input, output, cache_read, cache_write")
    try:
        return Price(**{k: float(v) for k, v in raw.items()})
    except (TypeError, ValueError) as exc:
        raise BadInput(f"{where}: {exc}") from exc


def load_prices(config: Path | None = None) -> PriceTable:
    text = (resources.files("orc.core.services.usage") / "prices.toml").read_text("utf-8")
    built_in = tomllib.loads(text)
    models = {
        name: _price(raw, f"prices.toml: models.{name}")
        for name, raw in built_in.get("models", {}).items()
    }
    path = config or config_path()
    if path.is_file():
        try:
            usage = tomllib.loads(path.read_text(encoding="utf-8")).get("usage", {})
        except (tomllib.TOMLDecodeError, OSError) as exc:
            raise BadInput(f"{path}: {exc}") from exc
        for name, raw in dict(usage.get("prices", {})).items():
            models[name] = _price(raw, f"{path}: usage.prices.{name}")
    return PriceTable(str(built_in.get("updated", "")), models)

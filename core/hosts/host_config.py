"""The machines one control room spans: `[[host]]` tables in orc's config file.

    [[host]]
    name = "gpu"                 # how orc names it: the agent-name rules (letters, digits, - _)
    ssh = "me@gpu.example.org"   # what `ssh` is given: a config alias or user@host, as typed
    socket = "work"              # optional: that host's tmux server, a name (-L) or a path (-S)
    orc = "~/.local/bin/orc"     # optional: the orc program there (default: `orc` on its PATH)
    transport = "ssh"            # optional: how orc reaches it (core/hosts/transport_kinds.py)

`transport = "local"` is another tmux server on this machine (core/hosts/local_transport.py): it
takes no `ssh`, and its `socket` is what tells it apart.

The file is the one `[notify]` lives in (core/paths.py `config_path`). The local machine is the
host "local" without being declared (a `[[host]]` may not take that name), and a config with no
host means orc works as it always did, on this machine only. The `ssh` destination is handed to
the system's ssh client as one argument, so its own config, keys, agent and known_hosts apply.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from orc.core.errors import BadInput
from orc.core.paths import config_path
from orc.core.tmux.client import TmuxServerAddress

LOCAL = "local"
# The transports a `[[host]]` may name: the keys of core/hosts/transport_kinds.py `KINDS`.
TRANSPORT_KINDS = ("ssh", "local")
# The agent-name rule of core/teams/team_spec.py (`_NAME`): a host name is typed where agent names
# are (`AGENT@HOST` targets), so it obeys the same rule (tests/unit/test_host_config.py checks
# that the two agree).
NAME = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_-]*\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class HostConfig(BaseModel):
    """One machine: how orc reaches it (`transport`, and for ssh its destination), and which
    tmux server and orc there are orc's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    ssh: str | None = None  # None only for the implicit local host
    socket: str | None = None
    orc: str = "orc"
    timeout: float = Field(default=5.0, gt=0, le=120)  # seconds per refresh of this host
    transport: Literal["ssh", "local"] = "ssh"  # TRANSPORT_KINDS

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a valid name: use letters, digits, '-' and '_' "
                "(it becomes part of `AGENT@HOST` targets)"
            )
        return value

    @field_validator("ssh")
    @classmethod
    def _destination(cls, value: str | None) -> str | None:
        if value is None:
            return None
        # ssh would read a leading '-' as an option; whitespace or control characters are no
        # destination ssh accepts, and would only hide a typo.
        if not value or value.startswith("-") or any(c.isspace() for c in value):
            raise ValueError(f"{value!r} is not an ssh destination (e.g. user@host or an alias)")
        return value

    @field_validator("socket", "orc")
    @classmethod
    def _plain(cls, value: str | None) -> str | None:
        if value is not None and (not value or _CONTROL.search(value)):
            raise ValueError(f"{value!r}: empty or holds control characters")
        return value

    @field_validator("socket")
    @classmethod
    def _no_home(cls, value: str | None) -> str | None:
        # `orc = "~/..."` is expanded there (core/hosts/ssh_transport.py HomePath); tmux takes a
        # socket path as given, so `~` would name a folder called `~`.
        if value is not None and value.startswith("~"):
            raise ValueError(f"{value!r}: give the socket as an absolute path or a name")
        return value

    @model_validator(mode="after")
    def _reached(self) -> HostConfig:
        if self.transport == "local" and self.ssh is not None:
            raise ValueError("'ssh' is for transport \"ssh\"; a local host takes none")
        return self

    @property
    def local(self) -> bool:
        """This machine's own tmux server (the implicit host `local`), not a host to reach."""
        return self.name == LOCAL

    @property
    def destination(self) -> str:
        """Where the host is, as the person named it: the ssh destination, or "" for a host on
        this machine."""
        return self.ssh or ""

    @property
    def address(self) -> TmuxServerAddress:
        """The host's tmux server: a value with '/' is a socket path, else a socket name."""
        if self.socket is None:
            return TmuxServerAddress()
        if "/" in self.socket:
            return TmuxServerAddress(socket_path=self.socket)
        return TmuxServerAddress(socket_name=self.socket)


LOCAL_HOST = HostConfig(name=LOCAL)


def parse_hosts(raw: Any, where: str = "config") -> list[HostConfig]:
    """The `[[host]]` tables (already parsed TOML) as HostConfigs, or BadInput naming the one."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise BadInput(f"{where}: 'host' must be [[host]] tables")
    hosts: list[HostConfig] = []
    seen: set[str] = set()
    for index, table in enumerate(raw):
        label = f"[[host]] #{index + 1}"
        if isinstance(table, dict) and isinstance(table.get("name"), str):
            label = f"host {table['name']!r}"
        if not isinstance(table, dict):
            raise BadInput(f"{where}: {label}: not a table")
        if "ssh" not in table and table.get("transport", "ssh") == "ssh":
            raise BadInput(f"{where}: {label}: missing field 'ssh' (the ssh destination)")
        try:
            host = HostConfig.model_validate(table)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "host"
            message = str(first["msg"]).removeprefix("Value error, ")
            if first["type"] == "extra_forbidden":
                message = "unknown field"
            raise BadInput(f"{where}: {label}: field '{field}': {message}") from exc
        if host.name == LOCAL:
            raise BadInput(f"{where}: {label}: the name 'local' is this machine's; choose another")
        if host.name in seen:
            raise BadInput(f"{where}: host {host.name!r} is declared twice")
        seen.add(host.name)
        hosts.append(host)
    return hosts


def load_hosts(path: Path | None = None) -> list[HostConfig]:
    """The local host first, then the declared ones (none declared: just the local one)."""
    path = path or config_path()
    raw: Any = None
    if path.is_file():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8")).get("host")
        except (tomllib.TOMLDecodeError, OSError) as exc:
            raise BadInput(f"{path}: {exc}") from exc
    return [LOCAL_HOST, *parse_hosts(raw, str(path))]


def _ad_hoc_name(destination: str) -> str:
    """A host name for a destination typed with -H: its host part, made a valid name."""
    base = destination.rpartition("@")[2] or destination
    name = re.sub(r"[^A-Za-z0-9_-]", "-", base).strip("-_") or "host"
    return name if NAME.fullmatch(name) else f"h{name}"


def select_hosts(
    chosen: tuple[str, ...] | list[str], all_hosts: bool = False, path: Path | None = None
) -> list[HostConfig]:
    """The other hosts `-H NAME|DEST` (repeatable) and `--all-hosts` select; a DEST not in the
    config is an ad-hoc host named after it (its defaults: `orc` on PATH, default tmux)."""
    if not chosen and not all_hosts:
        return []
    declared = {h.name: h for h in load_hosts(path) if not h.local}
    picked: dict[str, HostConfig] = dict(declared) if all_hosts else {}
    for word in chosen:
        if word == LOCAL:
            continue
        if word in declared:
            picked[word] = declared[word]
            continue
        try:
            host = HostConfig(name=_ad_hoc_name(word), ssh=word)
        except ValidationError as exc:
            raise BadInput(f"-H {word!r}: not a declared host nor an ssh destination") from exc
        picked.setdefault(host.name, host)
    return list(picked.values())


def find_host(name: str, path: Path | None = None) -> HostConfig | None:
    """A declared host by name (a target `X@HOST` whose host was not selected with -H)."""
    return next((h for h in load_hosts(path) if h.name == name and not h.local), None)

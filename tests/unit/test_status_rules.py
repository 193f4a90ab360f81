"""Screen rules and the detector's logic: fixture screens per kind x state, debounce, hooks,
user overrides. These need no tmux: the screens are real captures saved as files."""

from __future__ import annotations

from pathlib import Path

import pytest

from orc.core.agents.agent_kind import KINDS as AGENT_KIND_REGISTRY
from orc.core.agents.pattern_packs import load_packs
from orc.core.agents.status import STATES, StatusDetector
from orc.core.errors import BadInput
from tests.status_panes import FIXTURES, fixture_files, fixture_pane, make_pane

NOW = 1_000_000.0
STILL = NOW - 3600  # the screen has not changed for an hour
KINDS = tuple(kind for kind in AGENT_KIND_REGISTRY if kind != "unknown")  # each has screens


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return load_packs(tmp_path_factory.mktemp("no-user-patterns"))


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_fixture_screen_classifies_as_its_name_says(path: Path, packs) -> None:
    expected = path.stem.split("-")[0]
    assert expected in STATES, f"{path.name}: name must start with a state"
    detector, pane = StatusDetector(packs), fixture_pane(path)
    prev = path.with_suffix(".prev")
    if prev.exists():
        # Right only while it changes (a reply streaming with no spinner): the detector sees the
        # screen a moment earlier, then this one, as two refreshes would.
        detector.classify(pane, prev.read_text(encoding="utf-8"), NOW - 1.0, NOW - 0.5)
        status = detector.classify(pane, path.read_text(encoding="utf-8"), NOW, NOW)
    else:
        status = detector.classify(pane, path.read_text(encoding="utf-8"), STILL, NOW)
    assert status.state == expected, status
    assert status.rule and status.evidence  # every verdict can be explained


@pytest.mark.parametrize("kind", KINDS)
def test_fixtures_cover_every_state_of_each_kind(kind: str) -> None:
    states = {p.stem.split("-")[0] for p in (FIXTURES / kind).glob("*.txt")}
    wanted = {"working", "idle", "waiting", "exited"} | ({"error"} if kind != "shell" else set())
    assert wanted <= states, f"{kind} lacks fixtures for {sorted(wanted - states)}"


def test_verdict_names_the_rule_and_the_matched_line(packs) -> None:
    screen = (FIXTURES / "claude" / "waiting-bash-permission.txt").read_text(encoding="utf-8")
    status = StatusDetector(packs).classify(make_pane("claude"), screen, STILL, NOW)
    assert status.rule == "claude:permission-question"
    assert "Do you want to proceed?" in status.evidence


def test_colours_do_not_hide_a_spinner(packs) -> None:
    screen = (
        "\x1b[1m\x1b[38;5;208m⠋\x1b[0m Thinking\x1b[2m… (3s · esc to interrupt)\x1b[0m\n─────\n> \n"
    )
    status = StatusDetector(packs).classify(make_pane("fake"), screen, STILL, NOW)
    assert (status.state, status.rule) == ("working", "fake:spinner")


def test_only_the_visible_screen_counts_not_the_scrollback(packs) -> None:
    old_dialog = "Do you want to proceed?\n ❯ 1. Yes\n   2. No\n"
    visible = "✓ approved\n✓ done (applying)\n\n─────\n>\n"
    screen = old_dialog + visible
    pane = make_pane("fake", height=visible.count("\n"))
    assert StatusDetector(packs).classify(pane, screen, STILL, NOW).state == "idle"


IDLE = "fake agent ready\n\n──────\n>\n"
BUSY = "fake agent ready\n⠋ Thinking… (3s · esc to interrupt)\n──────\n>\n"


def test_working_is_immediate_and_idle_is_debounced(packs) -> None:
    detector = StatusDetector(packs)
    pane = make_pane("fake")
    assert detector.classify(pane, IDLE, STILL, NOW).state == "idle"
    # The spinner appears: working at once, on the very refresh that sees it.
    assert detector.classify(pane, BUSY, NOW, NOW).state == "working"
    # The spinner is gone: the idle prompt must stay still for idle_after (1 s for fake).
    held = detector.classify(pane, IDLE, NOW + 0.1, NOW + 0.3)
    assert (held.state, held.rule) == ("working", "debounce:idle")
    assert "0.2s of 1s" in held.evidence
    assert detector.classify(pane, IDLE, NOW + 0.1, NOW + 0.9).state == "working"
    idle = detector.classify(pane, IDLE, NOW + 0.1, NOW + 1.2)
    assert (idle.state, idle.rule) == ("idle", "fake:input-prompt")


def test_typing_at_an_idle_prompt_stays_idle(packs) -> None:
    detector = StatusDetector(packs)
    pane = make_pane("fake")
    detector.classify(pane, IDLE, STILL, NOW)
    typing = IDLE.replace(">\n", "> half a thought\n")
    assert detector.classify(pane, typing, NOW + 1, NOW + 1.1).state == "idle"


def test_unrecognised_still_screen_is_unknown_not_idle(packs) -> None:
    detector = StatusDetector(packs)
    status = detector.classify(make_pane("claude"), "some output\nmore output\n", STILL, NOW)
    assert (status.state, status.rule) == ("unknown", "screen:unrecognised")
    assert "more output" in status.evidence


def test_unrecognised_changing_screen_is_working(packs) -> None:
    status = StatusDetector(packs).classify(
        make_pane("aider"), "streaming a diff\n", NOW - 0.2, NOW
    )
    assert (status.state, status.rule) == ("working", "screen:changing")


def test_a_torn_capture_does_not_unsettle_an_idle_agent(packs) -> None:
    detector = StatusDetector(packs)
    pane = make_pane("fake")
    detector.classify(pane, IDLE, STILL, NOW)
    torn = detector.classify(pane, "● eng-1 · fake agent\n", NOW, NOW)  # half a redraw
    assert (torn.state, torn.rule) == ("idle", "debounce:change")
    assert detector.classify(pane, IDLE, NOW + 0.25, NOW + 0.25).state == "idle"
    # A change that lasts is work: output streaming where the prompt was.
    detector.classify(pane, "streaming 1\n", NOW + 1, NOW + 1)
    assert detector.classify(pane, "streaming 2\n", NOW + 1.3, NOW + 1.3).state == "idle"
    status = detector.classify(pane, "streaming 3\n", NOW + 1.6, NOW + 1.6)
    assert (status.state, status.rule) == ("working", "screen:changing")


def test_bell_turns_an_unrecognised_screen_into_waiting(packs) -> None:
    status = StatusDetector(packs).classify(
        make_pane("claude", bell=True), "anything at all\n", STILL, NOW
    )
    assert (status.state, status.rule) == ("waiting", "tmux:bell")


def test_first_sight_of_an_idle_prompt_mid_debounce_is_unknown(packs) -> None:
    status = StatusDetector(packs).classify(make_pane("fake"), IDLE, NOW - 0.1, NOW)
    assert (status.state, status.rule) == ("unknown", "debounce:idle")


def test_hook_event_overrides_screen_rules(packs) -> None:
    detector = StatusDetector(packs)
    hooked = make_pane("fake", hook=("waiting", "Notification", str(NOW), "needs permission"))
    status = detector.classify(hooked, BUSY, NOW, NOW)
    assert (status.state, status.rule, status.evidence) == (
        "waiting",
        "hook:Notification",
        "needs permission",
    )


def test_spinner_drawn_after_a_stale_hook_event_is_working(packs) -> None:
    detector = StatusDetector(packs)
    hooked = make_pane("fake", hook=("waiting", "Notification", str(NOW), "needs permission"))
    assert detector.classify(hooked, BUSY, NOW - 5, NOW).state == "waiting"  # spinner older
    status = detector.classify(hooked, BUSY, NOW + 2, NOW + 2)
    assert (status.state, status.rule) == ("working", "fake:spinner")
    assert status.evidence.startswith("after hook Notification: ⠋ Thinking")


def test_the_screen_overrules_a_hook_only_after_a_grace_moment(packs) -> None:
    """Claude runs Stop a moment before it redraws without its spinner: inside HOOK_GRACE the
    hook stands; an input box back after a refused dialog (no event) is idle after it."""
    detector = StatusDetector(packs)
    stopped = make_pane("fake", hook=("idle", "Stop", str(NOW), ""))
    assert detector.classify(stopped, BUSY, NOW + 0.1, NOW + 0.1).state == "idle"
    asked = make_pane("fake", pane_id="%2", hook=("waiting", "PermissionRequest", str(NOW), ""))
    assert detector.classify(asked, IDLE, NOW + 0.1, NOW + 0.1).state == "waiting"
    status = detector.classify(asked, IDLE, NOW + 2, NOW + 2)
    assert (status.state, status.rule) == ("idle", "fake:input-prompt")
    assert status.evidence.startswith("after hook PermissionRequest")


def test_death_outranks_a_stale_hook(packs) -> None:
    dead = make_pane("fake", dead=True, hook=("working", "PreToolUse", str(NOW), ""))
    status = StatusDetector(packs).classify(dead, BUSY, STILL, NOW)
    assert (status.state, status.rule) == ("exited", "tmux:pane_dead")


def test_shell_where_an_agent_is_expected_is_exited(packs) -> None:
    status = StatusDetector(packs).classify(make_pane("claude", command="zsh"), "$ \n", STILL, NOW)
    assert (status.state, status.rule) == ("exited", "tmux:shell")
    assert "zsh" in status.evidence


def test_transitions_are_reported_once_and_not_on_first_sight(packs) -> None:
    detector = StatusDetector(packs)
    pane = make_pane("fake")
    detector.classify(pane, IDLE, STILL, NOW)
    assert detector.take_transitions() == ()
    detector.classify(pane, "Do you want to proceed?\n ❯ 1. Yes\n   2. No\n", NOW, NOW)
    (change,) = detector.take_transitions()
    assert (change.name, change.old, change.new.state) == ("eng-1", "idle", "waiting")
    assert detector.take_transitions() == ()


def test_since_is_kept_while_the_state_holds(packs) -> None:
    detector = StatusDetector(packs)
    pane = make_pane("fake")
    first = detector.classify(pane, BUSY, NOW, NOW)
    later = detector.classify(pane, BUSY.replace("3s", "2s"), NOW + 1, NOW + 1)
    assert first.since == later.since == NOW


def test_user_file_adds_replaces_and_disables_rules(tmp_path: Path) -> None:
    (tmp_path / "fake.toml").write_text(
        """
kind = "fake"
idle_after = 5
disable = ["api-error"]

[[rule]]
name = "deploy-question"
state = "waiting"
region = "last"
pattern = 'Deploy now\\?'

[[rule]]
name = "input-prompt"
state = "idle"
region = "last"
pattern = '^» '
""",
        encoding="utf-8",
    )
    pack = load_packs(tmp_path)["fake"]
    names = [r.name for r in pack.rules]
    assert names[0] == "deploy-question"  # the user's new rules come first
    assert "api-error" not in names
    prompt = next(r for r in pack.rules if r.name == "input-prompt")
    assert prompt.source.endswith("fake.toml") and prompt.source.startswith(str(tmp_path))
    assert pack.idle_after == 5
    detector = StatusDetector(load_packs(tmp_path))
    status = detector.classify(make_pane("fake"), "Deploy now?\n", STILL, NOW)
    assert (status.state, status.rule) == ("waiting", "fake:deploy-question")


@pytest.mark.parametrize(
    "text, message",
    [
        ('kind = "fake"\n[[rule]]\nname="x"\nstate="sleepy"\npattern="a"\n', "rule.0.state"),
        ('kind = "fake"\n[[rule]]\nname="x"\nstate="idle"\npattern="(("\n', "bad regular"),
        (
            'kind = "fake"\n[[rule]]\nname="x"\nstate="idle"\npattern="a"\nregion="middle"\n',
            "region",
        ),
        ("kind = ", "invalid TOML"),
    ],
)
def test_broken_user_file_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "mine.toml").write_text(text, encoding="utf-8")
    with pytest.raises(BadInput, match=message) as info:
        load_packs(tmp_path)
    assert "mine.toml" in str(info.value) and "\n" not in str(info.value)


def test_unknown_kind_uses_every_agent_pack(packs) -> None:
    screen = (FIXTURES / "codex" / "waiting-command-approval.txt").read_text(encoding="utf-8")
    pane = make_pane("", command="node")
    status = StatusDetector(packs).classify(pane, screen, STILL, NOW)
    assert status.state == "waiting" and status.rule.startswith("unknown:")

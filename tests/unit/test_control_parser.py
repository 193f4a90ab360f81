"""The control-mode parser on lines recorded from real tmux (tests/fixtures/control/record.py)."""

from __future__ import annotations

from pathlib import Path

from orc.core.tmux.control import (
    ControlParser,
    Notification,
    Reply,
    command_line,
    parse_subscription_value,
    unescape,
)

LINES = (Path(__file__).parents[1] / "fixtures/control/protocol.lines").read_bytes().splitlines()


def parsed() -> list[Reply | Notification]:
    parser = ControlParser()
    return [item for line in LINES if (item := parser.feed(line)) is not None]


def test_replies_keep_a_pane_line_that_looks_like_an_end_as_data() -> None:
    replies = [item for item in parsed() if isinstance(item, Reply)]
    assert replies[0].flags == 0  # the attach's own block, not a reply to us
    capture = next(r for r in replies if any(b"printf" in line for line in r.lines))
    assert not capture.error
    assert b"%end 1 2 1" in capture.lines
    assert "b\\s été" in capture.text  # the capture shows the tab as spaces


def test_a_parse_error_is_one_error_block_for_the_whole_line() -> None:
    replies = [item for item in parsed() if isinstance(item, Reply) and item.flags == 1]
    errors = [r for r in replies if r.error]
    assert len(errors) == 1
    assert "unknown command: nosuchcommand" in errors[0].text


def test_output_is_unescaped_to_the_panes_bytes() -> None:
    outputs = [n.pane_output() for n in parsed() if isinstance(n, Notification)]
    data = b"".join(o[1] for o in outputs if o is not None)
    assert b"%end 1 2 1\r\n\tb\\s " in data
    assert "été".encode() in data
    assert unescape(b"a\\134b\\015") == b"a\\b\r"


def test_notifications_name_structural_changes_subscriptions_and_the_exit() -> None:
    notes = [n for n in parsed() if isinstance(n, Notification)]
    names = [n.name for n in notes]
    for name in ("%unlinked-window-add", "%window-pane-changed", "%session-renamed",
                 "%sessions-changed", "%exit"):  # fmt: skip
        assert name in names
    assert names[-1] == "%exit"
    subs = [s for n in notes if (s := n.subscription()) is not None]
    assert subs and all(name == "all" for name, _ in subs)
    panes = parse_subscription_value(subs[-1][1])
    assert set(panes) == {"%0", "%1", "%2", "%3", "%4"}


def test_command_words_arrive_unchanged() -> None:
    line = command_line(["display-message", "-p", 'a "b" $HOME \\ ;\n#{x}'])
    assert line == b'"display-message" "-p" "a \\"b\\" \\$HOME \\\\ ;\\n#{x}"\n'

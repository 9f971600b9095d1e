from datetime import UTC, datetime

from workers.memory import summary

AT = datetime(2026, 3, 1, tzinfo=UTC)


def test_fold_keeps_newest_lines_bounded() -> None:
    text = ""
    for i in range(30):
        text = summary.fold(text, "lead", f"message {i}", AT)
    lines = text.splitlines()
    assert len(lines) == summary.MAX_LINES
    assert lines[0].endswith("message 18") and lines[-1].endswith("message 29")


def test_fold_skips_automation_and_empty_and_truncates() -> None:
    text = summary.fold("", "workflow", "Your appointment is confirmed", AT)
    text = summary.fold(text, "lead", "   ", AT)
    assert text == ""
    text = summary.fold(text, "ai", "x " * 200, AT)
    assert text.startswith("- 2026-03-01 agent (AI): ")
    assert len(text) <= len("- 2026-03-01 agent (AI): ") + summary.MAX_LINE_CHARS

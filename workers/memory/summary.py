"""The summary of a lead's older history: pure folding of messages that leave the window.

The working context holds the most recent messages verbatim; each message that falls out of
that window is folded into a short bulleted summary, newest last, bounded in lines and length
so the prompt stays small however long the conversation grows.
"""

from __future__ import annotations

from datetime import datetime

MAX_LINES = 12
MAX_LINE_CHARS = 160
SPEAKERS = {"lead": "lead", "ai": "agent (AI)", "human": "agent", "workflow": "automation",
            "system": "agent"}


def summary_line(sender: str, body: str, at: datetime) -> str:
    text = " ".join(body.split())
    if len(text) > MAX_LINE_CHARS:
        text = text[: MAX_LINE_CHARS - 1].rstrip() + "…"
    return f"- {at.date().isoformat()} {SPEAKERS.get(sender, sender)}: {text}"


def fold(summary: str, sender: str, body: str, at: datetime) -> str:
    """Add one message to the summary, keeping the newest `MAX_LINES` lines. Automated and
    empty messages carry no memory of the lead and are left out."""
    if not body.strip() or sender == "workflow":
        return summary
    lines = [line for line in summary.splitlines() if line.strip()]
    lines.append(summary_line(sender, body, at))
    return "\n".join(lines[-MAX_LINES:])

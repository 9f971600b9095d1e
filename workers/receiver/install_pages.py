"""The plain HTML pages the receiver's OAuth callback answers the installing admin with (pure):
what was connected and what to do next, or what went wrong, with the status it is sent with.
Every value is escaped; the pages load nothing (no scripts, styles or images)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from workers.ghl.installs import Connected, Installed

# Sent with every page: the callback's URL carries a code, which no cache, referrer or
# frame should see again.
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'",
}


@dataclass(frozen=True)
class Page:
    status: int
    title: str
    html: str


def _document(title: str, body: list[str]) -> str:
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title></head><body>",
        f"<h1>{escape(title)}</h1>",
        *body,
        "</body></html>",
        "",
    ])


def error_page(status: int, title: str, what: str, next_step: str) -> Page:
    """Nothing (or not everything) was connected: why, and what to do."""
    return Page(status, title, _document(title, [
        f"<p>{escape(what)}</p>", f"<p>{escape(next_step)}</p>"]))


def _state(location: Connected) -> str:
    if location.status is None:
        return f"not connected ({location.problem or 'not stored'}): install the app again"
    if location.status == "uninstalled":
        return "still uninstalled (GHL reported a newer uninstall): install the app again"
    if location.status == "live":
        state = "already live: replies go on as before"
    else:
        state = "installed, not live: the AI assistant is off until its settings are done"
    if not location.has_token:
        state += ("; no access token yet (one is minted at its first send: "
                  f"{location.problem or 'GHL did not give one now'})")
    return state


def _next_steps(location: str) -> list[str]:
    quoted = escape(location)
    return [
        f"<li><code>leadmem tenant config {quoted} --timezone America/Chicago</code> "
        "(the agency's IANA time zone)</li>",
        f"<li><code>leadmem tenant config {quoted} --persona \"...\"</code> "
        "(who the assistant speaks as)</li>",
        f"<li><code>leadmem tenant config {quoted} --service-areas "
        "'[\"Austin\", \"Round Rock\"]'</code> (where the agency sells)</li>",
        f"<li><code>leadmem tenant config {quoted} --ai on</code> (goes live once the "
        "above are set)</li>",
    ]


def connected_page(installed: Installed) -> Page:
    """What an install connected (200), and the settings an operator gives each location
    before it goes live."""
    if installed.user_type == "Location":
        title = "Connected to lead-memory"
        intro = [f"<p>The app is installed for location <code>"
                 f"{escape(installed.locations[0].location)}</code>"
                 + (f" (agency <code>{escape(installed.company_id)}</code>)"
                    if installed.company_id else "")
                 + ". Its GHL tokens are stored encrypted.</p>"]
    else:
        title = "Agency connected to lead-memory"
        intro = [f"<p>The app is installed for agency <code>"
                 f"{escape(installed.company_id or '')}</code>. Its GHL tokens are stored "
                 "encrypted; each approved location gets access tokens of its own, minted "
                 "with the agency's token.</p>"]
        if not installed.locations:
            intro.append("<p>No location was approved, so no location is connected yet: "
                         "install the app again from GHL and choose the locations.</p>")
    items = [f"<li><code>{escape(c.location)}</code>: {escape(_state(c))}</li>"
             for c in installed.locations]
    steps: list[str] = []
    pending = [c.location for c in installed.locations if c.status == "installed"]
    if pending:
        steps = ["<h2>Next: the settings each location needs before it goes live</h2>",
                 "<p>An operator of lead-memory runs, for each location:</p>",
                 "<ol>", *_next_steps(pending[0]), "</ol>"]
        if len(pending) > 1:
            steps.append("<p>The same for " + ", ".join(
                f"<code>{escape(loc)}</code>" for loc in pending[1:]) + ".</p>")
    body = [*intro]
    if items:
        body += ["<h2>Locations</h2>", "<ul>", *items, "</ul>"]
    body += steps
    return Page(200, title, _document(title, body))

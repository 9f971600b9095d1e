"""Outcomes: a tenant's lead funnel over a window — new leads, time to first touch, leads
texted and how many wrote back, qualified, booked, opted out (issue #26, item 5).

Core: `funnel` (pure, stdlib only) — one `Lead` per lead that arrived in the window, as plain
values, folded into a `Funnel` (counts, rates, P50/P95 of the time to the first text). Each
stage reads its owner's state and never re-derives it: texts sent from `replies`
(`workers/replies`), the qualification state from `lead_profiles` (`workers/learning`),
consent from the ledger's fold (`workers/consent_ledger`), appointments from `appointments`
(`workers/booking`, migrations/0017).
Shell: `store` — one statement in the tenant's transaction reading those rows for the leads
that arrived in a window; `read` returns the funnel.

Readers: `leadmem report TENANT --days 7` (`workers/cli/report_cmds.py`) and the metrics
worker's periodic gauges (`workers/metrics/funnel.py`). Nothing here writes.
"""

from workers.outcomes.funnel import STAGES, Funnel, Lead, funnel

__all__ = ["STAGES", "Funnel", "Lead", "funnel"]

"""The responder: drafts the reply to each inbound lead message (`lead.profile.updated` ->
`replies.outbound`, `agent.assist`).

- Pure core: `guards.py` (reply, confirm an opt-out, hand off or stay silent), `modes.py`
  (what the reply aims at), `draft.py` (the reply row and the events it publishes),
  `prompt.py` and `render.py` (the prompt; lead text as data), `listings.py`,
  `reply_facts.py`, `first_touch.py` (the first message to a new lead, keyed by its
  timer). Consent itself is `workers.consent`.
- Shell: `worker.py` (read facts and context, call the core, Claude and the reply check,
  claim the reply in `workers.replies`), `store.py` (the one read of tenant and lead
  facts), `compose.py` (Claude or the deterministic fallback), `ports.py` (what it needs of
  the store, the context and the composer, as Protocols its unit tests fake),
  `timer_loop.py` (a background loop beside the consumer: claims due timers of
  `workers.timers` from any replica and fires them; the first touch).
"""

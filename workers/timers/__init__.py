"""Durable timers: what the assistant does by itself at a time — the first touch of a new
lead now; follow-ups next — kept in Postgres (`timers`, migrations/0016).

Core: `core` (pure) — which timers a lead's event cancels or moves (`changes_for`), whether a
new contact gets a first touch (`wants_first_touch`), the timer's states and its reply key.
Shell: `store` — the table's one writer: schedule, apply an event's changes in the caller's
transaction, the cross-tenant scan of due timers, the claim (`FOR UPDATE SKIP LOCKED`,
`pending -> firing`), done / retry / failed. What a fired timer does is its owner's: the
first touch is drafted by the responder (`workers.responder.first_touch`, `timer_loop`).
"""

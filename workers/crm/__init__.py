"""CRM write-back: what the pipeline knows about a lead, where agents work (GHL tasks, one
living note per contact, score tags, mapped custom fields, an opt-out's DND and tag).
`plan.py` (pure) decides the writes, `store.py` reads the state (the consent ledger among
it) and claims what GHL cannot dedupe, `writer.py` is the shell; the calls go through
`workers.ghl` (`contacts`, `sender`)."""

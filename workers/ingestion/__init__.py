"""Ingestion: raw GHL webhooks on `ghl.events` -> verified, deduplicated, normalised
events on `conversation.events`; anything bad -> `pipeline.dlq`.

Pure: `decode.py` (bytes -> a webhook, or why not), `signatures.py` (the verdict over the
raw bytes), `normalise.py` (a webhook -> one `ConversationEvent`, and its dedupe key). Shell:
`worker.py` (the durable claim of each delivery, and publish; unknown and uninstalled
locations kept out; the app's INSTALL / UNINSTALL; `ports.py`: the statements it runs, as a
Protocol its unit tests fake). A new GHL webhook type goes in `schemas/ghl.py` and
`normalise.py`.
"""

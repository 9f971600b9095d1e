"""The consent ledger has one owner: this package. Consent is recorded, not re-derived: each
thing that happens to a lead's consent is an append-only row of `consent_events` (migration
0012) with its source and time, and every decision about an automated text folds the lead's
rows into its current state (`entries.fold`), read in the decision's own statement
(`store.entries_sql`).

- `entries` (pure): the kinds and sources, the fold, and which entries a lead's message or
  GHL's contact state records.
- `addresses` (pure): E.164 phones, normalised emails and their keyed hashes (HMAC), which
  outlive a forgotten contact.
- `store`: every statement of the table: `append` (the one writer, used by memory for the
  lead's words and GHL's DND, and by `leadmem consent set`), `forget`, and the reads.

Where a change goes: a new kind or source is the migration's CHECK, `entries.Kind` /
`Source` and `fold`; what a message records, `entries.from_message`; a new reader embeds
`store.entries_sql` and folds with `store.consent_of`, never its own SQL.
"""

from workers.consent_ledger.entries import ALL, NONE, Consent, Entry, Kind, Source, fold

__all__ = ["ALL", "NONE", "Consent", "Entry", "Kind", "Source", "fold"]

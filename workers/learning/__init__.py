"""Behavioural learning: the lead profile of `shared/learning/SPEC.md` from each lead's
conversation (`memory.updated` -> `lead.profile.updated`).

- Pure core: `extract/` (one reader per file; standard library and pydantic only),
  `assess.py` (what changed, and whether to publish), `scoring.py`, `qualification.py`,
  `signals.py`; an extraction rule goes in `extract/`, a score rule in `scoring.py`.
- Shell: `worker.py` (reads, the facts ledger of `facts.py`, publish), `ports.py` (what it
  needs of the store and the cache, as Protocols its unit tests fake); `claude_extract.py`
  is the optional Claude extraction merged in per tenant.
"""

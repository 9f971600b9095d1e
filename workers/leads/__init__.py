"""The owner of a lead's state as the deciders read it, and of `lead_profiles`' writes.

- `state.py` (pure): `Lead` (the contact's flags and its recorded consent) and
  `consent_state`, the one function that makes the consent question of the responder (when
  it drafts) and of the outbound (when it claims); the CRM reads `Lead.consent`.
- `store.py`: the columns each reader embeds (`columns` + `joins`): one read, no extra
  round trip, the consent ledger read in one place (`workers.consent_ledger.store`).
- `profiles.py`: the one writer of `lead_profiles` (learning's assessment, the legacy import).

Contacts and messages are written by the memory worker (`workers.memory.store`).
"""

from workers.leads.state import Lead, consent_state

__all__ = ["Lead", "consent_state"]

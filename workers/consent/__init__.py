"""Consent rules shared by the learning extractor, the responder and the outbound connector;
pure (no I/O)."""

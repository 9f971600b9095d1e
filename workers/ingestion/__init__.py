"""Ingestion: raw GHL webhooks on `ghl.events` -> verified, deduplicated, normalised
events on `conversation.events`; anything bad -> `pipeline.dlq`."""

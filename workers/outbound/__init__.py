"""The outbound connector: sends drafted replies through the GHL API, at most once each."""

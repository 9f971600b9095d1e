"""Workers of the lead-memory pipeline and their shared runtime."""

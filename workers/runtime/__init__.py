"""The runtime every worker shares: broker factory, dead-letter boundary, publisher, host."""

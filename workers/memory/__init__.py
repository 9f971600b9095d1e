"""Memory: the system of record for every lead's conversation, and its working context."""

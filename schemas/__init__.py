"""Event contracts: pydantic models and the topic registry. No I/O."""

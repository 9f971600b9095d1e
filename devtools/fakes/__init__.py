"""Loopback fake HTTP servers (Anthropic Messages, GoHighLevel) standing in for outside services."""

"""Loopback fake HTTP servers (Anthropic Messages, GoHighLevel, an MLS's RESO Web API)
standing in for outside services."""

"""Choosing and ordering channels for a request (pure)."""

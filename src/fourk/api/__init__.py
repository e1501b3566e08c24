"""Inbound HTTP: thin handlers (decode → service → encode)."""

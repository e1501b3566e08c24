"""Use cases that compose accounts, routing, providers, billing and the store."""

"""Upstream I/O, one module per upstream protocol, behind the `Provider` interface."""

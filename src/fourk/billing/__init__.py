"""Prices, usage normalisation and cost (pure); ledger and reservations (store)."""

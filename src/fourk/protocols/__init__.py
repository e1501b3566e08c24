"""Pure wire formats: data in, data out; no I/O, no settings, no clock."""

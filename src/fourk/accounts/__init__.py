"""Users, passwords, sessions and API keys."""

"""Policy information point: the facts a decision needs, from their sources."""

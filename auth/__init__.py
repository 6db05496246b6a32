"""Bearer-token authentication: keys, verification, development tokens."""

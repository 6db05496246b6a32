"""The HTTP API: thin routes over the decision point, registry and broker."""

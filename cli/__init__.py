"""The `hoi` command."""

"""The data broker: fetch only what a decision permits, keep only the permitted fields,
store nothing."""

"""What the policy does, for lawyers: scenario worlds, the role x category
matrix computed from the real policy, the conventions check and the handbook."""

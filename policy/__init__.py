"""Domain model of HOI Policy: roles, data categories, purposes, decisions.

This package imports nothing else of ours; every other package depends on it.
"""

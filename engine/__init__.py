"""Evaluating the Rego policies: one small interface, two backends."""

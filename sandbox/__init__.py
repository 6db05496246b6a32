"""Synthetic source systems and pilot data for the demo and the tests.

Everything here is invented. Organisation names are the pilot's public
organisations (from the seed slides); every person is generated.
"""

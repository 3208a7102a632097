"""The rules of CH firmware rollouts. Standard library only: no framework, no database, no XML.

Everything here takes time from a clock passed in and randomness from a seed passed in, so the
rules can be tested through months of a campaign in milliseconds.
"""

"""Use cases: one function per command, keyword-only arguments, one transaction each.

A use case opens the unit of work, calls the domain, and commits once; it never imports
SQLAlchemy, FastAPI or lxml.
"""

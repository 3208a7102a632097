"""The CSP Management Gateway adapter: CSP files in and out, atomic drops, the CSP simulator.

Standard library only (plus the `duis` package's hardened parser for inbound XML): outbound
files are rendered with `xml.etree`, which is safe for writing; nothing here parses untrusted
XML itself.
"""

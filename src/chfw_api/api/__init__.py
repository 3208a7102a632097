"""HTTP: thin routers over the use cases; errors as RFC 9457 problem+json."""

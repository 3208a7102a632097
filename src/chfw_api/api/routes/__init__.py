"""One router per area of the external contract."""

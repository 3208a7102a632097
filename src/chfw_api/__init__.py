"""chfw: SECMP0024 Communications Hub firmware campaigns (Option 1)."""

__version__ = "0.1.0"

"""audit module."""

"""Request and response models of the analytics API, one file per area."""

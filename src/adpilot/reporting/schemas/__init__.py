"""Request and response models of the reporting module, one file per area."""

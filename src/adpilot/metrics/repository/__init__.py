"""SQL of the metrics module (private): ingestion into the store, and sync runs."""

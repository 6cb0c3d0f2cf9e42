"""Services of the analytics module: the rules, one file per area."""

"""Exchange rates: the organization's rates, the reference rates and the converted monthly campaign rollup."""

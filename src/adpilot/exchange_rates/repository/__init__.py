"""SQL of the exchange-rates module (private): rates, reference rates, the converted rollup."""

"""Tools around roomcast that the product never imports: aiortc room participants (bots) for the
tests and the benchmarks. They may use the product; the product does not use them."""

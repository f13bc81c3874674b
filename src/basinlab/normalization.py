"""Direction-normalisation and direction-draw modes of the volume engine, importable without torch (specs and the CLI check them).

How a raw Gaussian direction P is scaled into Q = P ∘ F (docs/engine.md, "Direction normalisation"):

- ``rows``: F = ‖W[i]‖ on every weight row / conv filter i, 1 on 1-D parameters (the paper's filter normalisation);
- ``rows_biases``: as ``rows``, and |b_j| on every entry of a 1-D parameter: invariant to layer-wise rescaling;
- ``elementwise``: F = |θ0| entrywise: invariant to every positive per-neuron and per-layer rescaling;
- ``none``: F = 1.
"""

NORMALIZATIONS = ("rows", "rows_biases", "elementwise", "none")

# How the first layer's Gaussian is drawn (docs/engine.md, "Row-space directions"): ``explicit`` draws every entry of P;
# ``rowspace`` draws only what the loss can see (the first layer's component in the data's row space, plus the norm
# of the rest from a χ²): exact in distribution, its own seed stream, for landscapes with fewer rows than inputs.
DIRECTION_DRAWS = ("explicit", "rowspace")

"""Check kinds: what a template may require at a gate, and (in submodules) how each is evaluated."""

"""Chains, address forms and the asset registry: the vocabulary every other layer speaks."""

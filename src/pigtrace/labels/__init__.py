"""Labels: GraphSense-style TagPacks, the shipped packs built from public sources, the taxonomy, and the
screening of addresses (``screen``) and websites (``urls``)."""

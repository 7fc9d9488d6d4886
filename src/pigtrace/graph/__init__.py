"""The money graph built from the warehouse: addresses as dense integer ids, value flows as CSR arrays
(``build``), and walks over them (``taint``: proportional/haircut taint and hop distances). Detectors
and tracing read these arrays instead of looping over transfers."""

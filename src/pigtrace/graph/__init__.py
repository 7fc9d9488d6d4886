"""The money graph built from the warehouse: the time-ordered flow store (``flows``: every value transfer an
edge, CSR arrays per sender and receiver, swap links, cached per warehouse state) that tracing walks; and
the aggregated value graph (``build``: addresses as dense integer ids, summed flows as CSR arrays) with its
walks (``taint``: proportional/haircut taint and hop distances) that the detectors read. Both replace
loops over transfers."""

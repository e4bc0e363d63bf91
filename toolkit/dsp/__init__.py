"""Signal processing: features, mixing, noise generation, rooms, echo paths, singing.

Arrays are float ``(samples,)`` at a stated sample rate unless a docstring says
otherwise. Random choices take a :class:`numpy.random.Generator` so that
callers control reproducibility.
"""

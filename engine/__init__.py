"""promise-engine: road networks, travel-time matrices, multi-carrier dispatch,
ETA distributions and 95%-on-time delivery promises.

Data flows one way: ``network`` -> ``matrix`` -> ``dispatch`` / ``eta`` ->
``promise`` / ``monitor`` -> ``api``.
"""

__version__ = "0.1.0"

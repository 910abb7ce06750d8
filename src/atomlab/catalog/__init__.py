"""The catalog: one module per experiment or family, each citing its source.

Importing this package registers every entry in :data:`atomlab.lab.experiments`.
"""

from atomlab.catalog import activation_surfaces, universal_approximation  # noqa: F401

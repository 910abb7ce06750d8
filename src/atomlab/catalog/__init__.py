"""The catalog: one module per experiment or family, each citing its source.

Importing this package imports every public module in it, and each module registers its entries in
:data:`atomlab.lab.experiments`. A new entry is a new module here; nothing else needs editing.
"""

import importlib
import pkgutil

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if not _info.name.startswith("_") and _info.name != "compare":
        importlib.import_module(f"{__name__}.{_info.name}")

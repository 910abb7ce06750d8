"""The catalog: one module per experiment or family, each citing its source.

Importing this package imports every public module in it, and each module registers its entries in
:data:`atomlab.lab.experiments`. A new entry is a new module here; nothing else needs editing.

A module that fails to import does not take the rest of the catalog down: its error is kept in
:data:`BROKEN` and reported as a warning (a test asserts that the shipped catalog has none).
"""

import importlib
import pkgutil
import traceback
import warnings

#: Modules of the catalog that failed to import, with their traceback.
BROKEN: dict[str, str] = {}

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name.startswith("_") or _info.name == "compare":
        continue
    try:
        importlib.import_module(f"{__name__}.{_info.name}")
    except Exception as _exc:  # noqa: BLE001 - one broken entry must not hide the others
        BROKEN[_info.name] = traceback.format_exc()
        warnings.warn(f"catalog module {_info.name!r} failed to import: {_exc!r}", RuntimeWarning, stacklevel=1)

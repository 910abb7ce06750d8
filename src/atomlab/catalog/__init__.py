"""The catalog: experiment declarations, one folder per source family, each entry citing its source.

``atomic_experiments/``
    000, "Atomic Experiments in Deep Learning" (Abid, 2018): its twelve experiments.
``surfaces_2d/``
    002, "What 2D data reveals about deep nets" (Gupta): prediction surfaces on 2-D data.
``from_scratch/``
    003, the backpropagation problem set: the network from scratch and the MNIST CNN.
``principles/``
    004, the course problem set: initialisation, example order, XOR, depth and width, CNNs on MNIST.

Importing this package imports every public module (name not starting with ``_``) of every folder
here, and each registers its entries in :data:`atomlab.lab.experiments`. A new entry is a new module
in one of them, a new source family a new folder; nothing else needs editing. An entry that fails to
import fails the import of the catalog: a broken entry is a bug, not a warning.
"""

import importlib
import pkgutil

#: The folders of the catalog, one per source family.
FAMILIES = tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if m.ispkg))

for _family in FAMILIES:
    _package = importlib.import_module(f"{__name__}.{_family}")
    for _info in sorted(pkgutil.iter_modules(_package.__path__), key=lambda m: m.name):
        if not _info.name.startswith("_"):
            importlib.import_module(f"{_package.__name__}.{_info.name}")

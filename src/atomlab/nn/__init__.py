"""Networks: registries of building blocks, model specs, the CNNs, and the stacked population.

The registries and specs import torch only when a model is built or trained, so that declaring
one (``MLPSpec(...)``) stays light; :class:`MLP` and :class:`PopulationMLP`, which are torch
modules, are imported on first use.
"""

from atomlab._lazy import lazy_exports
from atomlab.nn.activations import activations, get_activation, register_activation
from atomlab.nn.initializers import initializers, make_weights, parse_initializer, register_initializer
from atomlab.nn.losses import get_loss, losses, register_loss
from atomlab.nn.optimizers import Optimizer, make_optimizer, optimizers, register_optimizer
from atomlab.nn.regularizers import register_regularizer, regularizers
from atomlab.nn.seeding import numpy_generator, stream_seed, torch_generator
from atomlab.nn.spec import MLPSpec

__getattr__, _lazy_dir = lazy_exports(__name__, {"MLP": "atomlab.nn.mlp", "PopulationMLP": "atomlab.nn.population"})

__all__ = [
    "MLP", "MLPSpec", "Optimizer", "PopulationMLP", "activations", "get_activation", "get_loss",
    "initializers", "losses", "make_optimizer", "make_weights", "numpy_generator", "optimizers",
    "parse_initializer", "register_activation", "register_initializer", "register_loss",
    "register_optimizer", "register_regularizer", "regularizers", "stream_seed", "torch_generator",
]

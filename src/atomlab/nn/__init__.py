"""Networks: registries of building blocks, model specs, and the stacked population."""

from atomlab.nn.activations import activations, get_activation, register_activation
from atomlab.nn.initializers import initializers, make_weights, parse_initializer, register_initializer
from atomlab.nn.losses import get_loss, losses, register_loss
from atomlab.nn.optimizers import Optimizer, make_optimizer, optimizers, register_optimizer
from atomlab.nn.population import PopulationMLP
from atomlab.nn.regularizers import register_regularizer, regularizers
from atomlab.nn.seeding import numpy_generator, stream_seed, torch_generator
from atomlab.nn.spec import MLP, MLPSpec

__all__ = [
    "MLP", "MLPSpec", "Optimizer", "PopulationMLP", "activations", "get_activation", "get_loss",
    "initializers", "losses", "make_optimizer", "make_weights", "numpy_generator", "optimizers",
    "parse_initializer", "register_activation", "register_initializer", "register_loss",
    "register_optimizer", "register_regularizer", "regularizers", "stream_seed", "torch_generator",
]

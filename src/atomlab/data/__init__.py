"""Data for atomic experiments: seeded generators, transforms and MNIST.

Every generator takes keyword-only parameters and an explicit ``random_state`` (an int or a
``numpy.random.Generator``), validates its arguments (a bad one raises
:class:`~atomlab.errors.ConfigError` naming it and what is allowed) and returns a
:class:`Dataset`: float inputs, int64 labels, and what is known about how they were made.
Each is registered by name, so ``make_dataset("moons", random_state=0, n_train=400)`` works and a
user's own generator joins the list with ``@register_dataset("name")``.

=====================  ===============================================  ==========================
name(s)                what                                             source
=====================  ===============================================  ==========================
function1d, sin1d,     1-D regression: sin(12x), -2x^4+x^3+x^2-2x, |x|  000 universal approximation
poly1d, abs1d
surface2d, linear2d,   2-D sign of a decision function on a box         002
abs2d, ellipse2d,
sine2d
gaussian_mixture       two Gaussians with a shared random covariance    000 (most experiments)
moons, circles, blobs  scikit-learn's generators                        003, 000 activations
xor                    the four corners, or clouds around them          004
spirals                interleaved spirals
alternating_points     n points on [0, 1), labels 0, 1, 0, 1, ...       000 depth
mnist                  MNIST (full, offline subset, or 8x8 digits)      003, 004
playground_circle      the TensorFlow playground's disc inside a ring   004 initialisation
=====================  ===============================================  ==========================

Transforms (``Dataset -> Dataset``): :func:`imbalance`, :func:`oversample_minority`,
:func:`random_labels`, :func:`add_dummy_dimensions`, :func:`pca`, :func:`standardize`, :func:`minmax_scale`,
:func:`with_domain`; each is registered by name in :data:`transforms` for use in a data spec.

Examples
--------
>>> from atomlab.data import make_dataset, imbalance, oversample_minority
>>> ds = make_dataset("sine2d", random_state=0, n_train=500)
>>> ds
Dataset('sine2d', task=classification, train=(500, 2), test=(2000, 2), n_classes=2)
>>> pool = make_dataset("gaussian_mixture", n_features=2, class_sep="1/i", n_train=2400, n_test=300)
>>> np.bincount(oversample_minority(imbalance(pool, ratio=10, n_train=1200)).y_train).tolist()
[1091, 1091]
"""

import numpy as np  # noqa: F401 - used by the doctest above

from atomlab.data.dataset import (
    Dataset,
    dataset_parameters,
    datasets,
    make_dataset,
    register_dataset,
    register_variant,
)
from atomlab.data.expr import Expression, parse_expression
from atomlab.data.functions import make_function_1d
from atomlab.data.mixtures import class_separations, make_gaussian_mixture
from atomlab.data.mnist import (
    MNIST_MEAN,
    MNIST_STD,
    ChecksumError,
    DataNotFoundError,
    download_mnist,
    find_mnist,
    load_mnist,
    mnist_cache_dir,
    mnist_search_paths,
    read_idx,
    verify_mnist,
    write_idx,
)
from atomlab.data.playground import make_playground_circle
from atomlab.data.surfaces import SURFACES, make_surface2d
from atomlab.data.toys import (
    make_alternating_points,
    make_blobs,
    make_circles,
    make_moons,
    make_spirals,
    make_xor,
)
from atomlab.data.transforms import (
    add_dummy_dimensions,
    imbalance,
    minmax_scale,
    oversample_minority,
    pca,
    random_labels,
    random_rotation,
    standardize,
    transforms,
    with_domain,
)

__all__ = [
    "Dataset",
    "datasets",
    "dataset_parameters",
    "make_dataset",
    "register_dataset",
    "register_variant",
    "Expression",
    "parse_expression",
    "make_function_1d",
    "make_surface2d",
    "SURFACES",
    "make_gaussian_mixture",
    "class_separations",
    "make_moons",
    "make_blobs",
    "make_circles",
    "make_xor",
    "make_spirals",
    "make_alternating_points",
    "make_playground_circle",
    "imbalance",
    "oversample_minority",
    "random_labels",
    "add_dummy_dimensions",
    "random_rotation",
    "pca",
    "standardize",
    "minmax_scale",
    "with_domain",
    "transforms",
    "load_mnist",
    "download_mnist",
    "read_idx",
    "write_idx",
    "find_mnist",
    "mnist_search_paths",
    "mnist_cache_dir",
    "verify_mnist",
    "DataNotFoundError",
    "ChecksumError",
    "MNIST_MEAN",
    "MNIST_STD",
]

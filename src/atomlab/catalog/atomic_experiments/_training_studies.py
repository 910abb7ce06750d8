"""What 000's experiments 7-12 (activation functions to regularisation) declare in common.

000 is "Atomic Experiments in Deep Learning" (Abid, 2018); its code lives in ``experiments.py`` of
the AtomsOfDeepLearning repository. Every one of these experiments trains a sigmoid MLP with
Glorot-uniform weights *and biases*, linear outputs, Adam (lr 0.003) and a fresh random minibatch
of 64 each step, mostly on the two-Gaussian mixture. This module holds what they share:

- the names of 000's losses, computed as 000 computes them on the network's *linear outputs*
  (``logit_mse`` ... in :mod:`atomlab.nn.losses`) or on softmax probabilities (the built-ins);
- small figure helpers. (Models timed alone use the ``solo`` trial kind, :mod:`atomlab.engine.kinds.solo`.)
"""

from __future__ import annotations

import functools
from typing import Any

from atomlab.lab import DataSpec, figures
from atomlab.lab.figures import band, ci_text, colors, curves, dot_ci, style  # noqa: F401 (B.band ...)

# The figure pieces these entries share (``B.band``, ``B.save`` ...) are atomlab.lab.figures'; 100 dpi keeps
# the pages light.
save = functools.partial(figures.save, dpi=100)

SOURCE = "000"
SECTION = "Atomic Experiments in Deep Learning (Abid, 2018), experiment {n}: {title}"


#: The loss names of 000 -> registered names, for losses on the linear outputs (000's code) or on
#: softmax probabilities (atomlab's built-ins). Cross-entropy, hinge and the constant control
#: are the same in both.
LOSS_NAMES = {
    "logits": {"mse": "logit_mse", "mae": "logit_mae", "fourth_power": "logit_fourth_power"},
    "probabilities": {"mse": "mse", "mae": "mae", "fourth_power": "fourth_power"},
}
OUTPUTS = tuple(LOSS_NAMES)


def loss_name(loss: str, outputs: str) -> str:
    """The registered loss for 000's ``loss`` compared on ``outputs`` ("logits" or "probabilities")."""
    if outputs not in LOSS_NAMES:
        from atomlab.errors import unknown_choice

        raise unknown_choice("outputs", outputs, OUTPUTS)
    return LOSS_NAMES[outputs].get(loss, loss)


# ----- data -----------------------------------------------------------------------------------
def class_sep(value: Any) -> float | str:
    """A separation setting as the generator wants it: ``"1/i"`` stays a rule, numbers become floats."""
    text = str(value).replace(" ", "").lower()
    if text in ("1/i", "1/(i)", "inverse"):
        return "1/i"
    try:
        return float(text)
    except ValueError:
        from atomlab.errors import ConfigError

        raise ConfigError(f"bad class_sep {value!r}; give a number or '1/i'") from None


def mixture(cfg: dict[str, Any], seed: int) -> DataSpec:
    """000's two-Gaussian mixture for trial ``seed`` (000 draws a new mixture for every repetition)."""
    return DataSpec("gaussian_mixture", {"n_features": int(cfg["d"]), "class_sep": class_sep(cfg["class_sep"]),
                                         "n_train": int(cfg["n_train"]), "n_test": int(cfg["n_test"])},
                    seed=seed)


# ----- numbers in words --------------------------------------------------------------------------
interval = figures.interval  # the entries' B.interval: atomlab.stats.mean_interval of the finite values




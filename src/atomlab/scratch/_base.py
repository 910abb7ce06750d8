"""What every scratch network shares: parameters as lists, gradient descent, prediction.

A subclass keeps ``weights`` (``W`` of shape ``(fan_in, fan_out)``) and ``biases`` (``b`` of shape
``(fan_out,)``) as lists of float arrays, and writes the maths: ``forward``, ``logits``, ``loss`` and
``backward``. This class only moves numbers around.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from atomlab.errors import ConfigError


class ScratchNet:
    """Base of :class:`~atomlab.scratch.ThreeLayerNet` and :class:`~atomlab.scratch.DeepNet`."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    reg_lambda: float
    dtype: type
    history_: list[tuple[int, float]]
    diverged_at_: int | None

    # -- the maths, written by each subclass ------------------------------------------------------
    def logits(self, X: np.ndarray) -> np.ndarray:
        """Pre-softmax outputs ``z_L`` of shape ``(n, n_classes)``."""
        raise NotImplementedError

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities ``softmax(z_L)``, caching the intermediate values for ``backward``."""
        raise NotImplementedError

    def loss(self, X: np.ndarray, y: np.ndarray) -> float:
        """Mean cross-entropy plus ``reg_lambda / 2 * sum ||W||^2``."""
        raise NotImplementedError

    def backward(self, X: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of :meth:`loss`, keyed ``"W1", "b1", ..., "WL", "bL"``."""
        raise NotImplementedError

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return self.forward(X)

    # -- parameters -------------------------------------------------------------------------------
    def parameters(self) -> dict[str, np.ndarray]:
        """The live parameter arrays, keyed as the gradients of :meth:`backward` are.

        Updating an array in place updates the network, which is what gradient checks rely on.
        """
        named = {}
        for l, (W, b) in enumerate(zip(self.weights, self.biases), start=1):
            named[f"W{l}"], named[f"b{l}"] = W, b
        return named

    def get_params(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Copies of ``(weights, biases)``, to hand to another engine or restore later."""
        return [W.copy() for W in self.weights], [b.copy() for b in self.biases]

    def set_params(self, weights: Sequence[np.ndarray], biases: Sequence[np.ndarray]) -> ScratchNet:
        """Replace the parameters with copies of ``weights`` and ``biases`` (same shapes required)."""
        for kind, new, old in (("weight", weights, self.weights), ("bias", biases, self.biases)):
            shapes = [np.shape(a) for a in new]
            expected = [a.shape for a in old]
            if shapes != expected:
                raise ConfigError(f"{kind} shapes {shapes} do not match the network's {expected}")
        self.weights = [np.array(W, dtype=self.dtype) for W in weights]
        self.biases = [np.array(b, dtype=self.dtype) for b in biases]
        return self

    # -- training ---------------------------------------------------------------------------------
    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        num_passes: int = 20000,
        lr: float = 2.0,
        reg_lambda: float | None = None,
        record_every: int = 1000,
        print_loss: bool = False,
    ) -> ScratchNet:
        """Full-batch gradient descent: ``theta <- theta - lr * dloss/dtheta``, ``num_passes`` times.

        Parameters
        ----------
        X : array of shape (n, n_features)
        y : int array of shape (n,)
            Class labels in ``0 .. n_classes - 1``.
        num_passes : int
            Gradient steps, each over the whole data set (so also the number of epochs).
        lr : float
            Step size. The gradient is that of the *mean* loss, so this is 003's ``epsilon`` times n; the
            default 2.0 is 003's ``epsilon=0.01`` on its 200-point data sets (see
            :func:`~atomlab.scratch.problem_set_hyperparameters`).
        reg_lambda : float, optional
            If given, replaces ``self.reg_lambda`` before training.
        record_every : int
            Record ``(step, loss)`` into ``history_`` every this many steps, and after the last one.
        print_loss : bool
            Print each recorded loss, as 003 does.

        Returns
        -------
        self
            With ``history_`` (list of ``(step, loss)``; step = updates done so far) and
            ``diverged_at_`` (the step whose loss was NaN or inf, after which training stopped; else None).
        """
        X, y = self._check_Xy(X, y)
        if reg_lambda is not None:
            self.reg_lambda = float(reg_lambda)
        self.history_, self.diverged_at_ = [], None
        params = self.parameters()
        for step in range(num_passes + 1):
            if step % record_every == 0 or step == num_passes:
                loss = self.loss(X, y)
                self.history_.append((step, loss))
                if print_loss:
                    print(f"Loss after iteration {step}: {loss:f}")
                if not np.isfinite(loss):
                    self.diverged_at_ = step
                    break
            if step == num_passes:
                break
            grads = self.backward(X, y)
            for name, p in params.items():
                p -= lr * grads[name]  # in place, so `params` keeps pointing at the network's arrays
        return self

    # -- prediction -------------------------------------------------------------------------------
    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities for inputs of shape ``(..., n_features)``: a grid ``(H, W, 2)`` gives
        ``(H, W, n_classes)``, ready for a decision-boundary plot."""
        return self._on_grid(X, lambda X2: self.forward(X2))

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Scores for inputs of shape ``(..., n_features)``, as scikit-learn defines them.

        Two classes: the log-odds ``z_1 - z_0`` of class 1, shape ``(...)``; its zero level set is the
        decision boundary. More classes: the logits, shape ``(..., n_classes)``.
        """

        def scores(X2: np.ndarray) -> np.ndarray:
            z = self.logits(X2)
            return z[:, 1] - z[:, 0] if z.shape[1] == 2 else z

        return self._on_grid(X, scores)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Most probable class for inputs of shape ``(..., n_features)``."""
        return np.argmax(self.predict_proba(X), axis=-1)

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """Accuracy of :meth:`predict` on ``(X, y)``."""
        return float(np.mean(self.predict(X) == np.asarray(y)))

    # -- helpers ----------------------------------------------------------------------------------
    def _on_grid(self, X: np.ndarray, fn) -> np.ndarray:
        """Apply a row-wise ``fn`` to ``(..., d)`` inputs by flattening the leading axes."""
        X = np.asarray(X, dtype=self.dtype)
        out = fn(X.reshape(-1, X.shape[-1]))
        return out.reshape(X.shape[:-1] + out.shape[1:])

    def _check_Xy(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Validate training data at the public boundary; inside, types are trusted."""
        X, y = np.asarray(X, dtype=self.dtype), np.asarray(y)
        n_in, n_out = self.weights[0].shape[0], self.weights[-1].shape[1]
        if X.ndim != 2 or X.shape[1] != n_in:
            raise ConfigError(f"X must have shape (n, {n_in}); got {X.shape}")
        if y.shape != (len(X),):
            raise ConfigError(f"y must have shape ({len(X)},); got {y.shape}")
        if not np.issubdtype(y.dtype, np.integer) or (y.size and (y.min() < 0 or y.max() >= n_out)):
            raise ConfigError(f"y must hold integer labels in 0..{n_out - 1}; got {np.unique(y)[:10]}")
        return X, y

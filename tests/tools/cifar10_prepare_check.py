"""cifar10_prepare_check.py: tools/cifar10-prepare.py on small CIFAR-10 sources this test writes:
the python version's tarball (numpy pickles, as the real one), its folder, and a PNG image copy.

The binary files must hold exactly the expected records (label byte, R, G, B planes) in the
python version's order; the image copy's must hold every image once, with its class, shuffled;
a second run reuses the folder; a bad source exits 1 with a message. Needs numpy (and Pillow for
the image copy, which is skipped without it).
usage: python3 cifar10_prepare_check.py --work DIR; exit 0 when all pass."""
import argparse, io, os, pickle, shutil, subprocess, sys, tarfile

import numpy as np

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools",
                      "cifar10-prepare.py")
NAMES = ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5",
         "test_batch"]
failed = 0


def check(ok, what, detail=""):
    global failed
    print(f"{'PASS' if ok else 'FAIL'} {what}{': ' + detail if detail else ''}", flush=True)
    failed += not ok


def prepare(*args):
    p = subprocess.run([sys.executable, SCRIPT, *args], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    return p.returncode, p.stdout.strip(), p.stderr.strip()


def python_batches(rng, counts):
    """{member: (labels, pixels (n, 3072))} with the python version's keys (bytes, as the
    original's pickles under encoding='bytes')."""
    out = {}
    for name, n in zip(NAMES, counts):
        out[name] = (rng.randint(0, 10, n).tolist(), rng.randint(0, 256, (n, 3072), dtype=np.uint8))
    return out


def write_tarball(path, batches, protocol):
    with tarfile.open(path, "w:gz") as tar:
        def add(name, obj):
            blob = pickle.dumps(obj, protocol=protocol)
            info = tarfile.TarInfo("cifar-10-batches-py/" + name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
        for name, (labels, pix) in batches.items():
            add(name, {b"batch_label": name.encode(), b"labels": labels, b"data": pix,
                       b"filenames": [b"x.png"] * len(labels)})
        add("batches.meta", {b"label_names": [f"class{i}".encode() for i in range(10)],
                             b"num_vis": 3072, b"num_cases_per_batch": 10000})


def expected_bytes(labels, pix):
    return np.concatenate([np.array(labels, np.uint8)[:, None], pix], 1).tobytes()


def read_records(folder, name):
    raw = open(os.path.join(folder, name + ".bin"), "rb").read()
    return np.frombuffer(raw, np.uint8).reshape(-1, 3073) if len(raw) % 3073 == 0 else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    rng = np.random.RandomState(3)
    batches = python_batches(rng, [7, 5, 5, 6, 5, 9])

    for protocol in (2, 5):
        tgz = os.path.join(a.work, f"cifar-10-python-p{protocol}.tar.gz")
        out = os.path.join(a.work, f"bin-p{protocol}")
        write_tarball(tgz, batches, protocol)
        rc, got, err = prepare(tgz, out)
        check(rc == 0 and got == os.path.abspath(out), f"python tarball (pickle protocol "
              f"{protocol}) prepared", got or err)
        for name, (labels, pix) in batches.items():
            path = os.path.join(out, name + ".bin")
            ok = os.path.isfile(path) and open(path, "rb").read() == expected_bytes(labels, pix)
            check(ok, f"protocol {protocol}: {name}.bin holds the batch's records",
                  f"{len(labels)} records")
        meta = os.path.join(out, "batches.meta.txt")
        check(os.path.isfile(meta) and open(meta).read().split() == [f"class{i}" for i in range(10)],
              f"protocol {protocol}: batches.meta.txt names the classes")

    # the folder form of the same, and the reuse of a complete output
    tgz, out = os.path.join(a.work, "cifar-10-python-p2.tar.gz"), os.path.join(a.work, "bin-p2")
    with tarfile.open(tgz) as tar:
        tar.extractall(os.path.join(a.work, "extracted"))
    rc, got, err = prepare(os.path.join(a.work, "extracted", "cifar-10-batches-py"),
                           os.path.join(a.work, "bin-folder"))
    same = rc == 0 and all(
        open(os.path.join(a.work, "bin-folder", n + ".bin"), "rb").read() ==
        open(os.path.join(out, n + ".bin"), "rb").read() for n in NAMES)
    check(same, "the extracted folder gives the tarball's files", got or err)
    before = os.stat(os.path.join(out, "test_batch.bin")).st_mtime_ns
    rc, got, err = prepare(tgz, out)
    check(rc == 0 and os.stat(os.path.join(out, "test_batch.bin")).st_mtime_ns == before,
          "a second run reuses the complete folder", got or err)

    # refusals: not a data set, a pickle with another object, a folder it did not write
    junk = os.path.join(a.work, "junk.tar.gz")
    with tarfile.open(junk, "w:gz") as tar:
        info = tarfile.TarInfo("readme.txt"); info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    rc, got, err = prepare(junk, os.path.join(a.work, "bin-junk"))
    check(rc == 1 and "neither" in err and not got, "an archive without CIFAR-10 is refused", err)
    evil = os.path.join(a.work, "evil")
    os.makedirs(evil)
    for n in NAMES:
        with open(os.path.join(evil, n), "wb") as f:
            pickle.dump({b"data": io.BytesIO(b""), b"labels": []}, f)
    rc, got, err = prepare(evil, os.path.join(a.work, "bin-evil"))
    check(rc == 1 and "unexpected object" in err, "a pickle holding another object is refused", err)
    mine = os.path.join(a.work, "mine")
    os.makedirs(mine)
    open(os.path.join(mine, "notes.txt"), "w").write("keep")
    rc, got, err = prepare(tgz, mine)
    check(rc == 1 and os.path.isfile(os.path.join(mine, "notes.txt")),
          "a folder it did not write is left alone", err)

    # an image copy (PNG), when Pillow is here
    try:
        from PIL import Image
    except ImportError:
        print("SKIP image copy: no Pillow")
        Image = None
    if Image is not None:
        root = os.path.join(a.work, "images", "cifar-png")
        want = {"train": [], "test": []}
        for split, per_class in (("train", 3), ("test", 1)):
            for c, cls in enumerate(["airplane", "bird", "cat"]):
                os.makedirs(os.path.join(root, split, cls))
                for i in range(per_class):
                    pix = rng.randint(0, 256, (32, 32, 3), dtype=np.uint8)
                    Image.fromarray(pix).save(os.path.join(root, split, cls, f"{i:04d}.png"))
                    want[split].append(bytes([c]) + pix.transpose(2, 0, 1).tobytes())
        tgz = os.path.join(a.work, "images.tar.gz")
        with tarfile.open(tgz, "w:gz") as tar:
            tar.add(root, arcname="cifar-png")
        rc, got, err = prepare(tgz, os.path.join(a.work, "bin-images"))
        check(rc == 0, "image copy prepared", got or err)
        if rc == 0:
            train = [bytes(r) for n in NAMES[:5] for r in read_records(got, n)]
            test = [bytes(r) for r in read_records(got, "test_batch")]
            check(sorted(train) == sorted(want["train"]) and sorted(test) == sorted(want["test"]),
                  "every image once, with its class, as label + R, G, B planes",
                  f"{len(train)} training, {len(test)} test records")
            check(train != want["train"], "the training images are shuffled")
            sizes = [len(read_records(got, n)) for n in NAMES[:5]]
            check(sorted(sizes) == [1, 2, 2, 2, 2], "five training files", str(sizes))
    print("all passed" if not failed else f"{failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

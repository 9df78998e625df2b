#!/usr/bin/python3
"""Writes hostile torch.save-style archives for the C++ reader's tests: decompression bombs and
pickles that build millions of objects. The zip is written by hand here (not by zipfile) so that
a record's declared sizes can lie, and several directory entries can share one record's bytes;
the pickles are written opcode by opcode. Nothing here needs torch.

usage: write_bombs.py cases OUT_DIR
         OUT_DIR/NAME.pt for each case that cases() writes (~10 MB on disk in all)
       write_bombs.py seeds OUT_DIR
         small valid and broken archives, fuzzing seeds (OUT_DIR/zip-*) and bare pickles
         (OUT_DIR/pickle-*)
"""
import os
import struct
import sys
import zlib

MIB = 1 << 20
BOMB = 256 * MIB  # what each bomb inflates to: far past every limit, small enough to test quickly


# --- pickle opcodes (protocol 2, what torch.save writes; see Lib/pickletools.py) ---

def string(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def binint(v):
    return b"J" + struct.pack("<i", v)


def ints(values):
    return b"(" + b"".join(binint(v) for v in values) + b"t"


def tensor(key, numel, offset=0, size=None, stride=None, storage_type="FloatStorage"):
    """_rebuild_tensor_v2 of storage `key` (`numel` elements) viewed as size/stride from offset."""
    size = [numel] if size is None else size
    stride = [1] * len(size) if stride is None else stride
    pid = b"(" + string("storage") + b"ctorch\n" + storage_type.encode() + b"\n" + string(key) + string("cpu") + \
        binint(numel) + b"tQ"
    args = pid + binint(offset) + ints(size) + ints(stride) + b"\x89" + b"ccollections\nOrderedDict\n)R"
    return b"ctorch._utils\n_rebuild_tensor_v2\n(" + args + b"tR"


def state_dict(tensors):
    """{name: tensor pickle} as torch.save writes a dict: EMPTY_DICT MARK key value ... SETITEMS STOP."""
    return b"\x80\x02}(" + b"".join(string(name) + t for name, t in tensors.items()) + b"u."


# --- zip, by hand ---

class Record:
    def __init__(self, name, payload=b"", *, chunks=None, method=8, declared=None, alias=None):
        """A member `name` whose content is `payload` (or the concatenation of `chunks`, streamed),
        deflated (method 8) or stored (0); `declared` overrides the uncompressed size the headers
        give; `alias` makes this directory entry point at another record's local header."""
        self.name = name.encode()
        self.method = method
        self.alias = alias
        if alias is not None:
            return
        crc, size, parts = 0, 0, []
        z = zlib.compressobj(6, zlib.DEFLATED, -15) if method == 8 else None
        for chunk in (chunks if chunks is not None else [payload]):
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
            parts.append(z.compress(chunk) if z else chunk)
        if z:
            parts.append(z.flush())
        self.data = b"".join(parts)
        self.crc = crc
        self.size = size if declared is None else declared


def write_zip(path, records):
    out, central, where = bytearray(), [], {}
    for r in records:
        if r.alias is not None:
            continue
        r.offset = len(out)
        where.setdefault(r.name, r)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, r.method, 0, 0x21, r.crc, len(r.data), r.size,
                           len(r.name), 0) + r.name + r.data
    for r in records:
        target = where[r.alias.encode()] if r.alias is not None else r
        offset = target.offset
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, target.method, 0, 0x21, target.crc,
                                   len(target.data), target.size, len(r.name), 0, 0, 0, 0, 0, offset) + r.name)
    cd = b"".join(central)
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(records), len(records), len(cd), len(out), 0)
    with open(path, "wb") as f:
        f.write(bytes(out) + cd + eocd)


def repeat(pattern, total, chunk=MIB):
    """`total` bytes of `pattern` over and over, in chunks."""
    block = (pattern * (chunk // len(pattern) + 1))[:chunk]
    for start in range(0, total, chunk):
        yield block[:min(chunk, total - start)]


def floats(n):
    return struct.pack(f"<{n}f", *range(n))


def archive(path, pickle, records=(), version=True):
    """A torch.save layout: archive/data.pkl, the records given, archive/version."""
    rs = [Record("archive/data.pkl", pickle) if isinstance(pickle, bytes) else pickle]
    rs += list(records)
    if version:
        rs.append(Record("archive/version", b"3\n"))
    write_zip(path, rs)


ONE = state_dict({"w": tensor("0", 12)})  # {"w": 12 floats in storage "0"}


def cases(out):
    p = lambda name: os.path.join(out, name + ".pt")
    # data.pkl that says, truthfully, that it is 256 MiB (of EMPTY_TUPLE opcodes).
    archive(p("pickle_big"), Record("archive/data.pkl", chunks=[b"\x80\x02"] + list(repeat(b")", BOMB))))
    # data.pkl that claims 64 bytes but inflates to 256 MiB.
    archive(p("pickle_lies"), Record("archive/data.pkl", chunks=[b"\x80\x02"] + list(repeat(b")", BOMB)),
                                     declared=64))
    # A storage of 12 floats whose record says, truthfully, that it is 256 MiB of zeros.
    archive(p("storage_big"), ONE, [Record("archive/data/0", chunks=repeat(b"\0", BOMB))])
    # A storage of 12 floats whose record claims 48 bytes but inflates to 256 MiB.
    archive(p("storage_lies"), ONE, [Record("archive/data/0", chunks=repeat(b"\0", BOMB), declared=48)])
    # A byteorder record of 256 MiB ("little" and then zeros).
    archive(p("byteorder_big"), ONE, [Record("archive/data/0", floats(12)),
                                       Record("archive/byteorder", chunks=[b"little"] + list(repeat(b"\0", BOMB)))])
    # A version record of 256 MiB, which LibTorch's reader inflated when it opened the archive.
    archive(p("version_big"), ONE, [Record("archive/data/0", floats(12)),
                                     Record("archive/version", chunks=[b"3\n"] + list(repeat(b"\0", BOMB)))],
            version=False)
    # 1500 storages of 192 KiB of zeros, ~200 bytes each deflated: 288 MiB from a ~0.5 MB file, and
    # every storage is smaller than the file.
    n, numel = 1500, 48 * 1024
    zeros = Record("archive/data/0", bytes(4 * numel))
    archive(p("storages_many"), state_dict({f"w{k}": tensor(str(k), numel) for k in range(n)}),
            [zeros] + [Record(f"archive/data/{k}", bytes(4 * numel)) for k in range(1, n)])
    # 300 directory entries that all point at one stored 1 MiB record: 300 MiB from a 1 MB file.
    n, numel = 300, MIB // 4
    archive(p("storages_aliased"), state_dict({f"w{k}": tensor(str(k), numel) for k in range(n)}),
            [Record("archive/data/0", bytes(4 * numel), method=0)] +
            [Record(f"archive/data/{k}", alias="archive/data/0") for k in range(1, n)])
    # Two records named archive/data/0.
    archive(p("duplicate"), ONE, [Record("archive/data/0", floats(12)), Record("archive/data/0", floats(12))])
    # Pickles that make millions of objects with one or two bytes each (8 to 30 MB, deflated to
    # 8 KB to 5 MB), each under the 32 MiB that a pickle may have.
    # 8 million EMPTY_TUPLE opcodes: one object each in a naive unpickler.
    archive(p("empty_tuples"), b"\x80\x02" + b")" * 8_000_000 + b".")
    # An empty dict, then 4 million times: two empty dicts and SETITEM (8 million objects).
    archive(p("dicts"), b"\x80\x02}" + b"}}s" * 4_000_000 + b".")
    # None memoized under 10 million indices (MEMOIZE, protocol 4).
    archive(p("memo"), b"\x80\x04N" + b"\x94" * 10_000_000 + b".")
    # A list that holds None 15 million times (APPEND of NONE, two bytes an item).
    archive(p("items"), b"\x80\x02]" + b"Na" * 15_000_000 + b".")
    # 8 million MARKs.
    archive(p("marks"), b"\x80\x02" + b"(" * 8_000_000 + b".")

def seeds(out):
    p = lambda name: os.path.join(out, name)
    mixed = {"w": tensor("0", 12, 1, [2, 3], [4, 1]), "b": tensor("1", 3, storage_type="DoubleStorage"),
             "e": tensor("0", 12, 0, [0, 3], [3, 1]), "s": tensor("2", 1, 0, [], [])}
    records = [Record("archive/data/0", floats(12)), Record("archive/data/1", bytes(24), method=0),
               Record("archive/data/2", b"\x01\x02\x03\x04", method=0), Record("archive/byteorder", b"little", method=0)]
    archive(p("zip-mixed"), state_dict(mixed), records)
    archive(p("zip-one"), ONE, [Record("archive/data/0", floats(12), method=0)])
    archive(p("zip-lies"), ONE, [Record("archive/data/0", floats(12), declared=47)])
    archive(p("zip-aliased"), state_dict({"a": tensor("0", 12), "b": tensor("1", 12)}),
            [Record("archive/data/0", floats(12), method=0), Record("archive/data/1", alias="archive/data/0")])
    wrapped = b"\x80\x02}(" + string("epoch") + binint(3) + string("state_dict") + b"}(" + string("w") + \
        tensor("0", 12) + b"u" + string("flags") + b"](\x88N" + b"G" + struct.pack(">d", 2.5) + b"e" + b"u."
    archive(p("zip-wrapped"), wrapped, [Record("archive/data/0", floats(12))])
    with open(p("pickle-one"), "wb") as f:
        f.write(ONE)
    with open(p("pickle-mixed"), "wb") as f:
        f.write(state_dict(mixed))
    with open(p("pickle-wrapped"), "wb") as f:
        f.write(wrapped)
    with open(p("pickle-memo"), "wb") as f:  # BINPUT, BINGET, MEMOIZE, STACK_GLOBAL, TUPLE2, LONG1
        f.write(b"\x80\x04}q\x00(\x8c\x01a\x94\x8c\x0bcollections\x8c\x0bOrderedDict\x93)R" +
                b"\x8c\x01b\x8a\x02\xff\x7f\x86h\x00u.")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "cases":
        cases(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "seeds":
        seeds(sys.argv[2])
    else:
        sys.exit(__doc__)

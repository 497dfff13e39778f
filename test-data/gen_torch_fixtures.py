#!/usr/bin/env python3
"""Writes the small PyTorch-format checkpoints under test-data/torch/ without PyTorch.

Standard library only. A fake `torch` module is put in sys.modules so that the pickle module
writes exactly the globals torch.save writes (torch._utils._rebuild_tensor_v2, torch.FloatStorage,
torch.float32, ...), persistent ids are produced by a Pickler.persistent_id hook as torch's own
pickler does, and the two container layouts are written by hand:

  zip (torch >= 1.6):  <folder>/data.pkl, <folder>/byteorder, <folder>/data/<key>, <folder>/version;
                       stored (uncompressed) records whose data starts on a 64-byte boundary (an
                       'FB' extra field of 'Z' padding in the local header) followed by a data
                       descriptor, as torch's PyTorchStreamWriter does.
  legacy (torch < 1.6): pickles of the magic number, protocol 1001 and sys_info, the object with
                       persistent ids, the sorted storage keys, then per key an int64 element count
                       and the raw little-endian bytes.

Values are exact in float32 and reproducible from Java: value(i, salt) below. The output is
deterministic (no timestamps), so re-running leaves the files byte-identical.

Usage: python3 test-data/gen_torch_fixtures.py      (from the project root or anywhere)
See test-data/README.md, section "PyTorch checkpoint fixtures", for what each file holds.
"""
import collections
import os
import pickle
import struct
import sys
import types
import zlib

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch")
MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001


def value(i, salt):
    """Element i of a fixture tensor: multiples of 1/64 in [-50/64, 50/64], exact in float32."""
    return ((i * 37 + salt * 11) % 101 - 50) / 64.0


# ---------------------------------------------------------------- a fake torch, enough to pickle

torch = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")
torch._utils = torch_utils
sys.modules["torch"] = torch
sys.modules["torch._utils"] = torch_utils

# storage class -> (struct format of one element, bytes per element)
STORAGE_FORMATS = {
    "FloatStorage": ("f", 4), "DoubleStorage": ("d", 8), "HalfStorage": ("e", 2),
    "BFloat16Storage": (None, 2), "LongStorage": ("q", 8), "IntStorage": ("i", 4),
    "ShortStorage": ("h", 2), "CharStorage": ("b", 1), "ByteStorage": ("B", 1),
    "BoolStorage": ("?", 1), "UntypedStorage": ("B", 1),
}
for _name in STORAGE_FORMATS:
    _cls = type(_name, (), {})
    _cls.__module__ = "torch"
    setattr(torch, _name, _cls)


class dtype:
    """torch.dtype pickles as the global torch.<name>, via __reduce__ returning a string."""

    def __init__(self, name):
        self.name = name

    def __reduce__(self):
        return self.name


dtype.__module__ = "torch"
for _name in ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool"]:
    setattr(torch, _name, dtype(_name))


def _fake_function(module, name):
    def f(*args):
        raise RuntimeError("fixture generator never unpickles")
    f.__module__ = module.__name__
    f.__name__ = f.__qualname__ = name
    setattr(module, name, f)
    return f


_rebuild_tensor_v2 = _fake_function(torch_utils, "_rebuild_tensor_v2")
_rebuild_tensor_v3 = _fake_function(torch_utils, "_rebuild_tensor_v3")
_rebuild_parameter = _fake_function(torch_utils, "_rebuild_parameter")


class Storage:
    """A storage: its class name, its elements, and the key it is saved under."""

    def __init__(self, storage_class, values, key, location="cpu"):
        self.storage_class = storage_class
        self.values = list(values)
        self.key = key
        self.location = location

    def numel(self):
        return len(self.values)

    def to_bytes(self, endian="<"):
        fmt, size = STORAGE_FORMATS[self.storage_class]
        if self.storage_class == "BFloat16Storage":
            # bfloat16 = the top 16 bits of the float32 (all fixture values are exact)
            out = b""
            for v in self.values:
                bits = struct.unpack("<I", struct.pack("<f", v))[0] >> 16
                out += struct.pack(endian + "H", bits)
            return out
        return b"".join(struct.pack(endian + fmt, v) for v in self.values)


class Tensor:
    """Pickles like torch.Tensor.__reduce_ex__: _rebuild_tensor_v2(storage, offset, size, stride, ...)."""

    def __init__(self, storage, size, stride=None, offset=0, v3_dtype=None):
        self.storage = storage
        self.size = tuple(size)
        self.stride = tuple(stride) if stride is not None else contiguous_strides(size)
        self.offset = offset
        self.v3_dtype = v3_dtype

    def __reduce_ex__(self, protocol):
        if self.v3_dtype is not None:
            return (_rebuild_tensor_v3, (self.storage, self.offset, self.size, self.stride, False,
                                         collections.OrderedDict(), self.v3_dtype))
        return (_rebuild_tensor_v2, (self.storage, self.offset, self.size, self.stride, False,
                                     collections.OrderedDict()))


class Parameter:
    """Pickles like torch.nn.Parameter: _rebuild_parameter(data, requires_grad, backward_hooks)."""

    def __init__(self, tensor):
        self.tensor = tensor

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.tensor, True, collections.OrderedDict()))


def contiguous_strides(size):
    strides, acc = [], 1
    for d in reversed(size):
        strides.append(acc)
        acc *= d
    return tuple(reversed(strides))


def prod(size):
    n = 1
    for d in size:
        n *= d
    return n


class KeyedStorages:
    """Hands out storage keys "0", "1", ... as torch's zip writer does, in order of first use."""

    def __init__(self):
        self.next = 0

    def tensor(self, size, salt, storage_class="FloatStorage", values=None):
        n = prod(size)
        vals = values if values is not None else [value(i, salt) for i in range(n)]
        s = Storage(storage_class, vals, str(self.next))
        self.next += 1
        return Tensor(s, size)


# ---------------------------------------------------------------- writers

class ZipPickler(pickle.Pickler):
    """torch.serialization._save: storages become ('storage', type, key, location, numel)."""

    def __init__(self, f):
        super().__init__(f, protocol=2)
        self.storages = collections.OrderedDict()

    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            self.storages.setdefault(obj.key, obj)
            return ("storage", getattr(torch, obj.storage_class), obj.key, obj.location, obj.numel())
        return None


def write_torch_zip(name, obj, folder, byteorder="little", extra_records=()):
    import io
    buf = io.BytesIO()
    p = ZipPickler(buf)
    p.dump(obj)
    endian = "<" if byteorder == "little" else ">"
    records = [(folder + "/data.pkl", buf.getvalue()), (folder + "/byteorder", byteorder.encode())]
    for key, storage in p.storages.items():
        records.append((folder + "/data/" + key, storage.to_bytes(endian)))
    records.append((folder + "/version", b"3\n"))
    records.extend((folder + "/" + n, data) for n, data in extra_records)
    write_zip(os.path.join(OUT, name), records)


def write_zip(path, records):
    """A stored zip laid out like torch's: 64-byte aligned data, data descriptors, UTF-8 names."""
    out = bytearray()
    central = bytearray()
    for name, data in records:
        bname = name.encode()
        offset = len(out)
        header_len = 30 + len(bname)
        pad = (-(offset + header_len + 4)) % 64
        extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
        crc = zlib.crc32(data) & 0xFFFFFFFF
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x0808, 0, 0, 0, 0, 0, 0, len(bname), len(extra))
        out += bname + extra
        assert len(out) % 64 == 0
        out += data
        out += struct.pack("<IIII", 0x08074B50, crc, len(data), len(data))
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0, 20, 0x0808, 0, 0, 0, crc, len(data),
                               len(data), len(bname), 0, 0, 0, 0, 0, offset)
        central += bname
    cd_offset = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(records), len(records), len(central), cd_offset, 0)
    with open(path, "wb") as f:
        f.write(out)


class LegacyPickler(pickle.Pickler):
    """torch.serialization._legacy_save: ('storage', type, root_key, location, size, view_metadata)."""

    def __init__(self, f, views):
        super().__init__(f, protocol=2)
        self.storages = {}
        self.views = views          # view storage key -> (root Storage, offset)

    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            if obj.key in self.views:
                root, offset = self.views[obj.key]
                self.storages[root.key] = root
                return ("storage", getattr(torch, root.storage_class), root.key, root.location, root.numel(),
                        (obj.key, offset, obj.numel()))
            self.storages[obj.key] = obj
            return ("storage", getattr(torch, obj.storage_class), obj.key, obj.location, obj.numel(), None)
        return None


def write_legacy(name, obj, views=None):
    with open(os.path.join(OUT, name), "wb") as f:
        pickle.dump(MAGIC, f, protocol=2)
        pickle.dump(LEGACY_PROTOCOL, f, protocol=2)
        pickle.dump(dict(protocol_version=LEGACY_PROTOCOL, little_endian=True,
                         type_sizes=dict(short=2, int=4, long=4)), f, protocol=2)
        p = LegacyPickler(f, views or {})
        p.dump(obj)
        keys = sorted(p.storages.keys())
        pickle.dump(keys, f, protocol=2)
        for key in keys:
            s = p.storages[key]
            f.write(struct.pack("<q", s.numel()))
            f.write(s.to_bytes("<"))


def state_dict(items, module_names):
    """An OrderedDict with the _metadata attribute torch attaches (pickled through BUILD)."""
    sd = collections.OrderedDict(items)
    sd._metadata = collections.OrderedDict((m, {"version": 1}) for m in module_names)
    return sd


# ---------------------------------------------------------------- the fixtures

def zip_mlp():
    """Three linear layers fc1 6->4, fc2 4->3, fc3 3->2 with robust_sum.lmbd, folder 'ckpt_epoch3'."""
    k = KeyedStorages()
    items = []
    for layer, (n_in, n_out), salt, lmbd in [("fc1", (6, 4), 1, 0.5), ("fc2", (4, 3), 2, 0.25),
                                             ("fc3", (3, 2), 3, 1.0)]:
        items.append((layer + ".weight", k.tensor((n_out, n_in), salt)))
        items.append((layer + ".bias", k.tensor((n_out,), salt + 10)))
        items.append((layer + ".robust_sum.lmbd", k.tensor((1,), 0, values=[lmbd])))
    names = ["", "fc1", "fc1.robust_sum", "fc2", "fc2.robust_sum", "fc3", "fc3.robust_sum"]
    write_torch_zip("zip_mlp.pth", state_dict(items, names), "ckpt_epoch3")


def zip_views():
    """Non-contiguous tensors: a transposed view with a storage offset, a strided slice of the same
    storage, a stride-0 (expanded) view, a parameter, and a v3 tensor on an untyped storage."""
    base = Storage("FloatStorage", [value(i, 7) for i in range(20)], "0")
    # transposed: rows of the (4, 3) block starting at element 5 become columns: t[i][j] = base[5 + i + 3*j]
    transposed = Tensor(base, (3, 4), (1, 3), offset=5)
    # every third element from element 8: base[8], base[11]
    strided = Tensor(base, (2,), (3,), offset=8)
    row = Storage("FloatStorage", [1.0, 2.0, 3.0], "1")
    expanded = Tensor(row, (2, 3), (0, 1))
    param = Parameter(Tensor(Storage("FloatStorage", [value(i, 8) for i in range(6)], "2"), (2, 3)))
    raw = Storage("UntypedStorage", list(struct.pack("<4f", 0.5, -1.5, 2.25, 8.0)), "3")
    untyped_v3 = Tensor(raw, (2, 2), v3_dtype=torch.float32)
    obj = collections.OrderedDict([("transposed", transposed), ("strided", strided), ("expanded", expanded),
                                   ("param", param), ("untyped_v3", untyped_v3)])
    write_torch_zip("zip_views.pth", obj, "views")


def zip_dtypes():
    """One tensor per storage type plus plain Python values, in a top-level dict (folder 'dtypes')."""
    k = KeyedStorages()
    obj = {
        "f64": k.tensor((2, 2), 0, "DoubleStorage", [0.1, -1e300, 2.0 ** -1074, 1.0 / 3.0]),
        "i64": k.tensor((3,), 0, "LongStorage", [2 ** 40 + 1, -7, 2 ** 63 - 1]),
        "i32": k.tensor((2,), 0, "IntStorage", [-2 ** 31, 123456789]),
        "i16": k.tensor((2,), 0, "ShortStorage", [-32768, 32767]),
        "i8": k.tensor((2,), 0, "CharStorage", [-128, 127]),
        "u8": k.tensor((2,), 0, "ByteStorage", [0, 200]),
        "bool": k.tensor((3,), 0, "BoolStorage", [True, False, True]),
        "f16": k.tensor((4,), 0, "HalfStorage", [1.5, -2.0, 65504.0, 2.0 ** -24]),
        "bf16": k.tensor((2,), 0, "BFloat16Storage", [1.0, -1.5 * 2.0 ** 127]),
        "scalar": k.tensor((), 0, "LongStorage", [42]),
        "epoch": 3,
        "acc": 91.25,
        "name": "fixture",
        "tags": ["a", "b"],
        "pair": (2, 3),
        "blob": b"\x00\x01\xff",
        "ids": {1, 2},
        "nothing": None,
        "flag": True,
        "big": 2 ** 70,
        "dtype": torch.float16,
    }
    write_torch_zip("zip_dtypes.pth", obj, "dtypes")


def zip_bigendian():
    """Byte order "big": torch on a big-endian machine. Multi-byte elements are stored big-endian."""
    k = KeyedStorages()
    w = k.tensor((2, 3), 4)
    obj = collections.OrderedDict([
        ("w", w),
        ("w_t", Tensor(w.storage, (3, 2), (1, 3))),
        ("f64", k.tensor((2,), 0, "DoubleStorage", [0.1, -2.5])),
        ("i64", k.tensor((2,), 0, "LongStorage", [2 ** 40 + 1, -7])),
        ("i16", k.tensor((2,), 0, "ShortStorage", [-2, 300])),
        ("f16", k.tensor((2,), 0, "HalfStorage", [1.5, -2.0])),
        ("bool", k.tensor((2,), 0, "BoolStorage", [False, True])),
    ])
    write_torch_zip("zip_bigendian.pth", obj, "big_endian_archive", byteorder="big")


def zip_dataparallel():
    """A DataParallel training checkpoint: {net: module.-prefixed state dict, acc, epoch} (folder
    'epoch12'), for Sequential(conv1 3->4 k3 no bias, bn1(4), fc 4->2)."""
    k = KeyedStorages()
    sd = [
        ("module.conv1.weight", k.tensor((4, 3, 3, 3), 20)),
        ("module.conv1.robust_sum.beta", k.tensor((1,), 0, values=[0.75])),
        ("module.bn1.weight", k.tensor((4,), 21)),
        ("module.bn1.bias", k.tensor((4,), 22)),
        ("module.bn1.running_mean", k.tensor((4,), 23)),
        ("module.bn1.running_var", k.tensor((4,), 0, values=[0.5, 1.0, 1.5, 2.0])),
        ("module.bn1.num_batches_tracked", k.tensor((), 0, "LongStorage", [937])),
        ("module.fc.weight", k.tensor((2, 4), 24)),
        ("module.fc.bias", k.tensor((2,), 25)),
        ("module.fc.robust_sum.lmbd", k.tensor((1,), 0, values=[0.5])),
    ]
    names = ["module", "module.conv1", "module.conv1.robust_sum", "module.bn1", "module.fc",
             "module.fc.robust_sum"]
    obj = {"net": state_dict(sd, names), "acc": 55.5, "epoch": 12}
    write_torch_zip("zip_dataparallel.t7", obj, "epoch12",
                    extra_records=[(".data/version", b"3\n"), (".data/serialization_id", b"0123456789")])


def legacy_lenet():
    """Legacy format, LeNet-like: conv1 1->2 k3, fc1 8->3. fc1.bias lives in a view storage (legacy
    view_metadata) of the same root storage as fc1.weight, starting at element 24."""
    conv_w = Storage("FloatStorage", [value(i, 30) for i in range(18)], "140001")
    conv_b = Storage("FloatStorage", [value(i, 31) for i in range(2)], "140002")
    fc_root = Storage("FloatStorage", [value(i, 32) for i in range(24)] + [value(i, 33) for i in range(3)], "140003")
    fc_b_view = Storage("FloatStorage", fc_root.values[24:27], "140004")
    obj = state_dict([
        ("conv1.weight", Tensor(conv_w, (2, 1, 3, 3))),
        ("conv1.bias", Tensor(conv_b, (2,))),
        ("fc1.weight", Tensor(fc_root, (3, 8))),
        ("fc1.bias", Tensor(fc_b_view, (3,))),
    ], ["", "conv1", "fc1"])
    write_legacy("legacy_lenet.pth", obj, views={"140004": (fc_root, 24)})


class _System:
    """Pickles as posix.system('touch ...') (os.system's real module on Linux): what an attacker writes."""

    def __reduce__(self):
        return (os.system, ("touch nrpm-pickle-was-executed",))


class _Eval:
    def __reduce__(self):
        return (eval, ("__import__('os').system('touch nrpm-pickle-was-executed')",))


def malicious():
    import io
    buf = io.BytesIO()
    pickle.Pickler(buf, protocol=2).dump({"fc1.weight": _System()})
    write_zip(os.path.join(OUT, "malicious_os_system.pth"),
              [("archive/data.pkl", buf.getvalue()), ("archive/byteorder", b"little"), ("archive/version", b"3\n")])
    with open(os.path.join(OUT, "malicious_legacy_eval.pth"), "wb") as f:
        pickle.dump(MAGIC, f, protocol=2)
        pickle.dump(LEGACY_PROTOCOL, f, protocol=2)
        pickle.dump(dict(protocol_version=LEGACY_PROTOCOL, little_endian=True), f, protocol=2)
        pickle.dump(_Eval(), f, protocol=2)
        pickle.dump([], f, protocol=2)


def main():
    os.makedirs(OUT, exist_ok=True)
    zip_mlp()
    zip_views()
    zip_dtypes()
    zip_bigendian()
    zip_dataparallel()
    legacy_lenet()
    malicious()
    for name in sorted(os.listdir(OUT)):
        print("%-28s %6d bytes" % (name, os.path.getsize(os.path.join(OUT, name))))


if __name__ == "__main__":
    main()

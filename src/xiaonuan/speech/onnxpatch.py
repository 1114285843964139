"""Add an internal tensor to an ONNX model's graph outputs, on the serialised bytes (no onnx package).

An ONNX file is a protobuf ModelProto whose field 7 is the GraphProto; a graph's outputs are its
repeated field 12 (ValueInfoProto, name in field 1). Appending one more field 12 to the graph's
bytes, and re-writing the graph's length in the model, is the whole edit: onnxruntime infers the
new output's type and shape from the node that produces it.
"""

from __future__ import annotations

_GRAPH_FIELD, _OUTPUT_FIELD, _NAME_FIELD = 7, 12, 1
_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5


def _read_varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if i >= len(data):
            raise ValueError("truncated protobuf varint")
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _length_field(field: int, body: bytes) -> bytes:
    return _varint(field << 3 | _LENGTH) + _varint(len(body)) + body


def add_graph_output(model: bytes, tensor: str) -> bytes:
    """`model` (a serialised ModelProto) with `tensor` added to its graph's outputs; ValueError if the
    bytes are not a model with a graph."""
    out: list[bytes] = []
    i, found = 0, False
    while i < len(model):
        start = i
        key, i = _read_varint(model, i)
        field, wire = key >> 3, key & 7
        if wire == _VARINT:
            _, i = _read_varint(model, i)
        elif wire == _FIXED64:
            i += 8
        elif wire == _FIXED32:
            i += 4
        elif wire == _LENGTH:
            n, j = _read_varint(model, i)
            i = j + n
            if field == _GRAPH_FIELD and i <= len(model):
                output = _length_field(_OUTPUT_FIELD, _length_field(_NAME_FIELD, tensor.encode()))
                out.append(_length_field(_GRAPH_FIELD, model[j:i] + output))
                found = True
                continue
        else:
            raise ValueError(f"not an ONNX model: protobuf wire type {wire} at byte {start}")
        if i > len(model):
            raise ValueError("not an ONNX model: truncated")
        out.append(model[start:i])
    if not found:
        raise ValueError("not an ONNX model: it has no graph")
    return b"".join(out)

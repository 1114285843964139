"""Edit an ONNX model on its serialised bytes (no onnx package): add an internal tensor to its outputs,
or split it in two models that run one after the other.

An ONNX file is a protobuf ModelProto whose field 7 is the GraphProto; a graph's outputs are its
repeated field 12 (ValueInfoProto, name in field 1). Appending one more field 12 to the graph's
bytes, and re-writing the graph's length in the model, is the whole edit: onnxruntime infers the
new output's type and shape from the node that produces it. Splitting copies each node, initialiser
and input entry as bytes into the part that uses it (onnxruntime runs every node of a graph whatever
outputs are asked for, so a cheap early result needs a graph of its own).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

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
    head, graph, tail = _graph_of(model)
    output = _length_field(_OUTPUT_FIELD, _length_field(_NAME_FIELD, tensor.encode()))
    return b"".join([head, _length_field(_GRAPH_FIELD, bytes(graph) + output), tail])


# ---------------------------------------------------------------------------------------------
# Splitting a model in two (field numbers from onnx.proto).

_NODE, _INITIALIZER, _INPUT, _VALUE_INFO, _SPARSE_INITIALIZER = 1, 5, 11, 13, 15  # GraphProto
_NODE_INPUT, _NODE_OUTPUT, _NODE_ATTRIBUTE = 1, 2, 5  # NodeProto
_ATTR_GRAPH, _ATTR_GRAPHS = 6, 11  # AttributeProto g, graphs
_TENSOR_NAME = 8  # TensorProto
_TYPE, _TENSOR_TYPE, _ELEM_TYPE = 2, 1, 1  # ValueInfoProto.type, TypeProto.tensor_type, TypeProto.Tensor.elem_type
# onnxruntime's type names → ONNX TensorProto.DataType
ORT_ELEM_TYPES = {"tensor(float)": 1, "tensor(uint8)": 2, "tensor(int8)": 3, "tensor(uint16)": 4, "tensor(int16)": 5,
                  "tensor(int32)": 6, "tensor(int64)": 7, "tensor(string)": 8, "tensor(bool)": 9,
                  "tensor(float16)": 10, "tensor(double)": 11, "tensor(uint32)": 12, "tensor(uint64)": 13,
                  "tensor(bfloat16)": 16}


def _fields(data: bytes | memoryview, what: str) -> Iterator[tuple[int, int, int, int]]:
    """(field, start, end, value) of each field of a message: [start, end) is the whole field's bytes;
    value is a varint's value or where a length-delimited payload starts (its end is `end`)."""
    i, n = 0, len(data)
    while i < n:
        start = i
        key, i = _read_varint(data, i)
        field, wire = key >> 3, key & 7
        value = 0
        if wire == _VARINT:
            value, i = _read_varint(data, i)
        elif wire == _FIXED64:
            i += 8
        elif wire == _FIXED32:
            i += 4
        elif wire == _LENGTH:
            size, value = _read_varint(data, i)
            i = value + size
        else:
            raise ValueError(f"not an ONNX model: protobuf wire type {wire} in a {what} at byte {start}")
        if i > n:
            raise ValueError(f"not an ONNX model: a {what} is truncated")
        yield field, start, i, value


def _strings(data: bytes | memoryview, field: int, what: str) -> list[str]:
    return [bytes(data[v:e]).decode("utf-8") for f, _, e, v in _fields(data, what) if f == field]


class _Node:
    __slots__ = ("raw", "inputs", "outputs")

    def __init__(self, raw: memoryview) -> None:
        self.raw = raw
        self.inputs = [t for t in _strings(raw, _NODE_INPUT, "node") if t]  # "" is an omitted optional input
        self.outputs = [t for t in _strings(raw, _NODE_OUTPUT, "node") if t]
        for f, _, e, v in _fields(raw, "node"):
            if f == _NODE_ATTRIBUTE and any(a in (_ATTR_GRAPH, _ATTR_GRAPHS) for a, *_ in _fields(raw[v:e], "attribute")):
                raise ValueError(f"cannot split a model with subgraphs (If/Loop/Scan): node {self.outputs} has one")


def _graph_of(model: bytes) -> tuple[memoryview, memoryview, memoryview]:
    """The model's bytes before its graph, the graph's payload, and the bytes after (all checked)."""
    view = memoryview(model)
    graphs = [(s, v, e) for f, s, e, v in _fields(view, "model") if f == _GRAPH_FIELD]
    if len(graphs) != 1:
        raise ValueError(f"not an ONNX model: it has {len(graphs)} graphs, not one")
    s, v, e = graphs[0]
    return view[:s], view[v:e], view[e:]


def _ancestors(targets: Iterable[str], producer: Mapping[str, int], nodes: Sequence[_Node]) -> set[int]:
    """Indices of the nodes that `targets` are computed from (the nodes producing them, and theirs)."""
    seen: set[int] = set()
    todo = [producer[t] for t in targets if t in producer]
    while todo:
        k = todo.pop()
        if k not in seen:
            seen.add(k)
            todo.extend(producer[t] for t in nodes[k].inputs if t in producer)
    return seen


def _value_info(name: str, elem_type: int | None = None) -> bytes:
    """A graph input/output entry; without a type for an output (onnxruntime infers it), and with only the
    element type for an input (no shape: any rank)."""
    body = _length_field(_NAME_FIELD, name.encode())
    if elem_type is not None:
        tensor = _varint(_ELEM_TYPE << 3 | _VARINT) + _varint(elem_type)
        body += _length_field(_TYPE, _length_field(_TENSOR_TYPE, tensor))
    return body


def output_types(model: bytes) -> dict[str, int]:
    """Element type (TensorProto.DataType) of each graph output, as onnxruntime infers it from the model."""
    import onnxruntime as ort  # noqa: PLC0415 - heavy; only the Kokoro voice needs it

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # types only: load fast
    session = ort.InferenceSession(model, sess_options=opts, providers=["CPUExecutionProvider"])
    out = {}
    for o in session.get_outputs():
        if o.type not in ORT_ELEM_TYPES:
            raise ValueError(f"graph output {o.name!r} has type {o.type}, which split_model cannot declare")
        out[o.name] = ORT_ELEM_TYPES[o.type]
    return out


def split_model(model: bytes, first_outputs: Sequence[str], last_outputs: Sequence[str],
                types: Mapping[str, int] | None = None) -> tuple[bytes, bytes, list[str]]:
    """Two models that run in turn compute what `model` does: part A computes `first_outputs` (and the
    boundary tensors, its further outputs), part B the rest of `last_outputs` from the boundary and the
    original inputs it uses. Returns (A, B, boundary). `types` maps boundary tensors to their element types;
    those missing are found by loading A in onnxruntime. ValueError for bytes that are not such a model."""
    head, graph, tail = _graph_of(model)
    nodes: list[_Node] = []
    initializers: dict[str, memoryview] = {}
    inputs: dict[str, memoryview] = {}
    outputs: dict[str, memoryview] = {}
    value_infos: dict[str, memoryview] = {}
    rest: list[memoryview] = []  # the graph's name, doc string, annotations: kept in both parts
    for f, s, e, v in _fields(graph, "graph"):
        if f == _NODE:
            nodes.append(_Node(graph[v:e]))
        elif f == _INITIALIZER:
            names = _strings(graph[v:e], _TENSOR_NAME, "initializer")
            initializers[names[-1] if names else ""] = graph[s:e]
        elif f in (_INPUT, _OUTPUT_FIELD, _VALUE_INFO):
            names = _strings(graph[v:e], _NAME_FIELD, "value info")
            if not names:
                raise ValueError("not an ONNX model: a graph input or output has no name")
            {_INPUT: inputs, _OUTPUT_FIELD: outputs, _VALUE_INFO: value_infos}[f][names[-1]] = graph[s:e]
        elif f == _SPARSE_INITIALIZER:
            raise ValueError("cannot split a model with sparse initializers")
        else:
            rest.append(graph[s:e])
    producer = {t: k for k, node in enumerate(nodes) for t in node.outputs}
    missing = [t for t in [*first_outputs, *last_outputs] if t not in producer]
    if missing:
        raise ValueError(f"no node of the model computes {', '.join(missing)}: name tensors the graph has")
    part_a = _ancestors(first_outputs, producer, nodes)
    part_b = _ancestors(last_outputs, producer, nodes) - part_a
    early = [t for t in last_outputs if producer[t] in part_a]
    if early:
        raise ValueError(f"{', '.join(early)} would be computed by the first part: ask for it in first_outputs")
    made_by_a = {t for k in part_a for t in nodes[k].outputs}
    boundary: list[str] = []
    for k in sorted(part_b):  # in node order, each tensor once: a stable order
        boundary.extend(t for t in nodes[k].inputs if t in made_by_a and t not in boundary)
    a_outputs = list(dict.fromkeys([*first_outputs, *boundary]))
    a_bytes = _assemble(head, tail, rest, nodes, sorted(part_a), initializers, inputs, value_infos,
                        [outputs.get(t) or _value_info(t) for t in a_outputs], {})
    known = dict(types or {})
    if any(t not in known for t in boundary):
        known.update(output_types(a_bytes))
    b_inputs = {t: _value_info(t, known[t]) for t in boundary}
    b_bytes = _assemble(head, tail, rest, nodes, sorted(part_b), initializers, inputs, value_infos,
                        [outputs.get(t) or _value_info(t) for t in last_outputs], b_inputs)
    return a_bytes, b_bytes, boundary


def _assemble(head: memoryview, tail: memoryview, rest: list[memoryview], nodes: Sequence[_Node], keep: list[int],
              initializers: Mapping[str, memoryview], inputs: Mapping[str, memoryview],
              value_infos: Mapping[str, memoryview], outputs: list[bytes | memoryview],
              new_inputs: Mapping[str, bytes]) -> bytes:
    """A model of the `keep` nodes, with the initialisers and inputs they use and the given outputs."""
    used = dict.fromkeys(t for k in keep for t in nodes[k].inputs)
    made = {t for k in keep for t in nodes[k].outputs}
    parts: list[bytes | memoryview] = [_length_field(_NODE, bytes(nodes[k].raw)) for k in keep]
    parts += rest
    parts += [initializers[t] for t in used if t in initializers]
    parts += [inputs[t] for t in used if t in inputs and t not in new_inputs]  # an initialiser may be listed too
    parts += [_length_field(_INPUT, v) for v in new_inputs.values()]
    parts += [_length_field(_OUTPUT_FIELD, o) if isinstance(o, bytes) else o for o in outputs]
    parts += [v for t, v in value_infos.items() if t in made]
    graph = b"".join(parts)
    return b"".join([head, _length_field(_GRAPH_FIELD, graph), tail])

"""Splitting an ONNX model in two on its bytes: a hand-built model, and the real Kokoro model (same audio)."""

from __future__ import annotations

import json
import struct

import numpy as np
import onnxruntime as ort
import pytest

from xiaonuan.speech import kokoro
from xiaonuan.speech.onnxpatch import _length_field, _varint, add_graph_output, output_types, split_model

FLOAT = 1


def _str(field: int, text: str) -> bytes:
    return _length_field(field, text.encode())


def _int(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _node(op: str, inputs: list[str], outputs: list[str], extra: bytes = b"") -> bytes:
    body = b"".join(_str(1, t) for t in inputs) + b"".join(_str(2, t) for t in outputs) + _str(4, op) + extra
    return _length_field(1, body)


def _initializer(name: str, value: float) -> bytes:
    # TensorProto: dims=1, data_type=2, name=8, raw_data=9
    return _length_field(5, _int(1, 1) + _int(2, FLOAT) + _str(8, name) + _length_field(9, struct.pack("<f", value)))


def _value_info(field: int, name: str) -> bytes:
    shape = _length_field(2, _length_field(1, _int(1, 3)))  # TensorShapeProto: one dim of 3
    return _length_field(field, _str(1, name) + _length_field(2, _length_field(1, _int(1, FLOAT) + shape)))


def _model(nodes: bytes) -> bytes:
    """ModelProto: ir_version 8, opset 13, a graph of `nodes` from input x to output y, initialisers c and d."""
    graph = (nodes + _str(2, "tiny") + _initializer("c_add", 1.5) + _initializer("d_mul", -2.0)
             + _value_info(11, "x") + _value_info(12, "y"))
    return _int(1, 8) + _length_field(8, _str(1, "") + _int(2, 13)) + _length_field(7, graph)


# y = (x + c) * d - x: the first part computes t = x + c, the second needs t and the graph input x
TINY = _model(_node("Add", ["x", "c_add"], ["t"]) + _node("Mul", ["t", "d_mul"], ["u"]) + _node("Sub", ["u", "x"], ["y"]))


def _session(model: bytes) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(model, sess_options=opts, providers=["CPUExecutionProvider"])


def _chain(a: ort.InferenceSession, b: ort.InferenceSession, feed: dict) -> tuple[dict, list]:
    first = dict(zip([o.name for o in a.get_outputs()], a.run(None, feed)))
    return first, b.run(None, {i.name: first.get(i.name, feed.get(i.name)) for i in b.get_inputs()})


def test_a_tiny_model_split_in_two_computes_what_the_whole_does():
    a, b, boundary = split_model(TINY, ["t"], ["y"])
    assert boundary == ["t"]
    x = np.array([1.0, -3.0, 0.25], np.float32)
    whole = _session(TINY).run(None, {"x": x})[0]
    sa, sb = _session(a), _session(b)
    assert [o.name for o in sa.get_outputs()] == ["t"]
    assert sorted(i.name for i in sb.get_inputs()) == ["t", "x"]  # the boundary, and the original input B uses
    first, (y,) = _chain(sa, sb, {"x": x})
    np.testing.assert_array_equal(first["t"], x + 1.5)
    np.testing.assert_array_equal(y, whole)
    np.testing.assert_array_equal(y, (x + 1.5) * -2.0 - x)
    # each part keeps only the initialisers its own nodes use
    assert b"c_add" in a and b"d_mul" not in a
    assert b"d_mul" in b and b"c_add" not in b


def test_given_types_are_used_and_found_types_agree():
    assert output_types(split_model(TINY, ["t"], ["y"])[0]) == {"t": FLOAT}
    a, b, _ = split_model(TINY, ["t"], ["y"], types={"t": FLOAT})
    _, (y,) = _chain(_session(a), _session(b), {"x": np.zeros(3, np.float32)})
    np.testing.assert_array_equal(y, np.full(3, -3.0, np.float32))


def test_the_boundary_lists_every_tensor_the_second_part_needs_once_in_node_order():
    model = _model(_node("Add", ["x", "c_add"], ["t"]) + _node("Mul", ["x", "d_mul"], ["s"])
                   + _node("Mul", ["t", "s"], ["u"]) + _node("Add", ["u", "t"], ["v"]) + _node("Sub", ["v", "s"], ["y"]))
    a, b, boundary = split_model(model, ["t", "s"], ["y"])
    assert boundary == ["t", "s"]
    x = np.array([2.0, 0.0, -1.0], np.float32)
    _, (y,) = _chain(_session(a), _session(b), {"x": x})
    np.testing.assert_array_equal(y, _session(model).run(None, {"x": x})[0])


@pytest.mark.parametrize("model, first, last, message", [
    (b"\x0f\x01", ["t"], ["y"], "wire type"),
    (_int(1, 8), ["t"], ["y"], "0 graphs"),
    (TINY[:-5], ["t"], ["y"], "truncated"),
    (TINY, ["nowhere"], ["y"], "no node of the model computes nowhere"),
    (TINY, ["u"], ["t"], "first part"),
    (_model(_node("If", ["x"], ["y"], _length_field(5, _str(1, "then_branch") + _length_field(6, _str(2, "g"))))),
     ["y"], ["y"], "subgraphs"),
])
def test_bad_models_and_names_are_refused(model, first, last, message):
    with pytest.raises(ValueError, match=message):
        split_model(model, first, last, types={})


def test_kokoro_split_into_prosody_and_decoder_gives_the_same_durations_and_audio():
    whole_model = kokoro.model_file()
    durations, energy = "/encoder/Clip_output_0", "/encoder/Reshape_1_output_0"
    data = whole_model.read_bytes()
    a, b, boundary = split_model(data, [durations, energy], ["audio"])
    assert boundary and durations not in boundary  # the decoder does not read the durations themselves
    units, _ = kokoro._units("今天天气很好。")
    vocab = json.loads(kokoro._data_file("vocab.json").decode("utf-8"))["vocab"]
    ids = [vocab[ch] for u in units for ch in u.ipa if ch in vocab]
    feed = {"tokens": np.array([[0, *ids, 0]], np.int64),
            "style": kokoro.style_vectors("xiaonuan-f")[len(ids) - 1].reshape(1, -1),
            "speed": np.array([1.0], np.float32)}
    whole = _session(add_graph_output(data, energy))  # the whole model's energy too, to compare
    expected = dict(zip([o.name for o in whole.get_outputs()], whole.run(None, feed)))
    first, (audio,) = _chain(_session(a), _session(b), feed)
    np.testing.assert_array_equal(first[durations], expected[durations])
    np.testing.assert_array_equal(first[energy], expected[energy])
    assert first[energy].shape[-1] == 2 * int(first[durations].sum())  # energy: two values per frame
    assert audio.shape == expected["audio"].shape and len(audio.ravel()) > 24000 // 2
    assert float(np.max(np.abs(audio - expected["audio"]))) < 1e-5  # the model has no random ops: identical

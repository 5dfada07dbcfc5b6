"""A build's costly results, kept on disk for the next build (as mkdocs-material's plugins keep theirs
under .cache/plugin/).

A kept result is used only when everything it was made from is unchanged: the caller's key (its
inputs) together with this package's own code, the Python and library versions, and the day (some
checks compare dates with today). Anything else, a missing, older or unreadable file, is a miss: the
build works the result out again, as it does without a cache. Files are replaced whole (written
beside and renamed), so a build that is killed never leaves half a file.

The results are pickled. Loading a pickle runs code, so a cache folder is trusted as the package's
own code is: it lives in the repository, written by its builds, and is not committed (.gitignore).
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import os
import pickle
import sys
from pathlib import Path
from typing import Any

_DIGEST = 32  # bytes of key at the head of each file, before the pickle
# Distributions whose behaviour the kept results depend on (read from their metadata: importing
# beautifulsoup4 only to ask its version would cost more than the rest of the key).
_LIBRARIES = ("rapidfuzz", "PyYAML", "beautifulsoup4")


def key_of(*parts: bytes) -> bytes:
    """The key of a result made from `parts`, by this code, today."""
    digest = hashlib.blake2b(_code_digest(), digest_size=_DIGEST)
    digest.update(datetime.date.today().isoformat().encode())
    for part in parts:
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.digest()


@functools.lru_cache(maxsize=1)
def _code_digest() -> bytes:
    """This package's source files and the versions of what it runs on."""
    import importlib.metadata  # (here: a build's helper process never needs it, and starts sooner)

    digest = hashlib.blake2b(sys.version.encode(), digest_size=_DIGEST)
    for name in _LIBRARIES:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "?"
        digest.update(f"\0{name} {version}".encode())
    package = Path(__file__).parent
    for path in sorted(package.glob("*.py")):
        digest.update(b"\0" + path.name.encode() + b"\0" + path.read_bytes())
    return digest.digest()


def load(path: Path, key: bytes) -> Any | None:
    """What `store` kept at `path` under `key`; None when there is nothing usable there."""
    try:
        with path.open("rb") as stream:
            if stream.read(_DIGEST) != key:
                return None
            return pickle.load(stream)
    except Exception:  # noqa: BLE001 (a cache that cannot be read is a miss, whatever went wrong)
        return None


def store(path: Path, key: bytes, value: Any) -> bool:
    """Keep `value` at `path` under `key`, replacing the file whole; whether it was kept."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        import tempfile  # (here: a build's helper process starts sooner without it)

        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(handle, "wb") as stream:
            stream.write(key)
            stream.write(data)
        os.replace(temporary, path)
        return True
    except (OSError, pickle.PicklingError, TypeError, AttributeError, RecursionError):
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        return False

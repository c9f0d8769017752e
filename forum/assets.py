"""Look up the front-end assets that ``static/build.mjs`` builds.

The build writes each asset to ``static/dist/`` under a name that contains a
hash of its contents (``app.3f9a1c2b.css``) and records the mapping from
logical names (``app.css``, ``images/favicon.ico``) in
``static/dist/manifest.json``. Templates ask for the logical name and get the
URL of the current hashed file, so browsers may cache each URL forever.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Mapping
from types import MappingProxyType

MANIFEST_FILENAME = "manifest.json"

# URL path at which the app serves static/dist/. Hashed names may contain a
# folder ("images/favicon.0b611982.ico"), so the route must accept a path.
URL_PREFIX = "/static/dist/"

BUILD_HINT = "Run `make assets` to build the front-end assets."

__all__ = ["AssetError", "AssetManifest", "load_manifest"]


class AssetError(RuntimeError):
    """Raised when the asset manifest, or an asset in it, is missing or invalid."""


class AssetManifest:
    """Logical asset names mapped to content-hashed file names in ``dist_dir``.

    The constructor reads ``dist_dir/manifest.json`` once, so a later build is
    not seen until a new AssetManifest is made.
    """

    def __init__(self, dist_dir: pathlib.Path) -> None:
        self.dist_dir = dist_dir
        self.manifest_path = dist_dir / MANIFEST_FILENAME
        self._entries = MappingProxyType(_read_manifest(self.manifest_path))

    @property
    def entries(self) -> Mapping[str, str]:
        """Read-only mapping of logical names to hashed names, relative to ``dist_dir``."""
        return self._entries

    def url(self, logical_name: str) -> str:
        """Return the URL path of the built file for ``logical_name``.

        Raises AssetError naming the asset when the manifest has no such entry.
        """
        hashed_name = self._entries.get(logical_name)
        if hashed_name is None:
            known = ", ".join(sorted(self._entries)) or "none"
            raise AssetError(
                f"Asset {logical_name!r} is not in {self.manifest_path} "
                f"(assets listed: {known}). {BUILD_HINT}"
            )
        return URL_PREFIX + hashed_name


def load_manifest(dist_dir: pathlib.Path) -> AssetManifest:
    """Read ``dist_dir/manifest.json`` and return it as an AssetManifest."""
    return AssetManifest(dist_dir)


def _read_manifest(manifest_path: pathlib.Path) -> dict[str, str]:
    try:
        text = manifest_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AssetError(f"Asset manifest {manifest_path} not found. {BUILD_HINT}") from None

    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise AssetError(
            f"Asset manifest {manifest_path} is not valid JSON ({error}). {BUILD_HINT}"
        ) from None

    if not isinstance(data, dict):
        raise AssetError(f"Asset manifest {manifest_path} must be a JSON object. {BUILD_HINT}")
    for logical_name, hashed_name in data.items():
        if not isinstance(hashed_name, str) or not hashed_name:
            raise AssetError(
                f"Asset manifest {manifest_path} has an invalid file name for "
                f"{logical_name!r}: {hashed_name!r}. {BUILD_HINT}"
            )
    return data

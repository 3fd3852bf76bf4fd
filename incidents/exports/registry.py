"""The one registry of export formats, read by the export page, the API and the command.

An exporter is a class with an `identifier`, a `verbose_name`, a file `extension`, a
`media_type` and a `write(source, path)` method that writes the whole file at `path`, reading
incidents from `source` (an `ExportSource`) chunk by chunk so memory stays flat.
"""

import tempfile
from pathlib import Path

_REGISTRY = {}


class Exporter:
    """Base class of the export formats. Subclasses are registered with `@register`."""

    identifier = ""
    verbose_name = ""
    description = ""
    extension = ""
    media_type = "application/octet-stream"

    def filename(self, source):
        stamp = source.generated_at.strftime("%Y%m%dT%H%M%SZ")
        return f"skyledger-incidents-{stamp}.{self.extension}"

    def write(self, source, path):
        """Write the export of `source` to the file at `path`."""
        raise NotImplementedError

    def render(self, source):
        """The export in memory: (filename, media type, bytes). For small sets and tests."""
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / self.filename(source)
            self.write(source, path)
            return path.name, self.media_type, path.read_bytes()


def register(cls):
    """Class decorator: make an exporter available everywhere under its identifier."""
    if not cls.identifier or cls.identifier in _REGISTRY:
        raise ValueError(f"Exporter identifier {cls.identifier!r} is empty or already taken.")
    _REGISTRY[cls.identifier] = cls
    return cls


def get(identifier):
    """The exporter registered under `identifier`, or None."""
    cls = _REGISTRY.get(identifier)
    return cls() if cls else None


def all_exporters():
    """Every registered exporter, in registration order."""
    return [cls() for cls in _REGISTRY.values()]


def choices():
    return [(cls.identifier, cls.verbose_name) for cls in _REGISTRY.values()]

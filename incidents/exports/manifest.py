"""Manifests: what an export contains and how to check it. A manifest names each file with
its SHA-256 and size, the filter that chose the incidents, how many there are, who made the
export and when (UTC). It is offered beside every file and written inside every zip."""

import hashlib
import json

CHUNK = 1024 * 1024


def sha256_of_path(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def sha256_of_bytes(data):
    return hashlib.sha256(data).hexdigest()


def file_entry(name, sha256, size, media_type=""):
    entry = {"name": name, "sha256": sha256, "bytes": size}
    if media_type:
        entry["media_type"] = media_type
    return entry


def build(source, exporter, files, record_count):
    """The manifest of an export of `source` by `exporter` made of `files` (file entries).

    It carries the audit chain's head as the export was made, so whoever keeps the file also
    keeps proof of the log's state: verify_audit can later show nothing before it changed.
    """
    from .. import audit

    return {
        "generator": "SkyLedger",
        "format": exporter.identifier,
        "format_name": str(exporter.verbose_name),
        "generated_at": source.generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "generated_by": source.generated_by,
        "filter": source.filter_description(),
        "filter_query": source.filter_query,
        "record_count": record_count,
        # Operator IDs, operator and take-off points and descriptions, where the exporting
        # person may not see them (incidents.privacy), are blank in the files.
        "personal_data": (
            "personal data redacted" if source.redacts_personal_data() else "included"
        ),
        "files": files,
        "hash_algorithm": "SHA-256",
        "audit_chain_head": audit.chain_head(),
    }


def dumps(manifest):
    """The manifest as UTF-8 JSON bytes, keys in a stable order so two runs compare."""
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()

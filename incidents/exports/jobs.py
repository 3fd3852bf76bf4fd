"""Running exports: check the filter, record the job in the export log, write the file and
its manifest (at once for small sets, in the background worker for large ones)."""

import logging
import shutil
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit
from ..filters import IncidentFilter
from ..models import ExportChannel, ExportJob, ExportStatus, Incident
from ..privacy import personal_data_site_ids
from ..services.errors import ServiceError
from . import manifest, registry

logger = logging.getLogger(__name__)

# Parameters of the export page and API that are not part of the incident filter.
NOT_FILTER = {"format", "csrfmiddlewaretoken", "page"}


def clean_query(data):
    """The incident filter part of request parameters, as a stable URL query string."""
    params = QueryDict(mutable=True)
    for key in sorted(data):
        if key in NOT_FILTER:
            continue
        values = [v for v in data.getlist(key) if str(v).strip()]
        if values:
            params.setlist(key, values)
    return params.urlencode()


def operator():
    """The person behind `manage.py export_incidents` without --user: the server's operator,
    who may see every incident. Never saved."""
    return get_user_model()(username="manage.py", is_superuser=True, is_active=True)


def filtered_incidents(user, query):
    """The incidents `user` may see that match the filter `query`, in the list's order.

    A filter the user may not use (a site not theirs, a status that does not exist, a bad
    date) is refused with a message naming the parameter, rather than silently dropped."""
    filterset = IncidentFilter(
        QueryDict(query),
        Incident.objects.visible_to(user).select_related(None),
        request=SimpleNamespace(user=user),
    )
    if not filterset.is_valid():
        problems = "; ".join(
            f"{name}: {' '.join(str(m) for m in messages)}"
            for name, messages in filterset.form.errors.items()
        )
        raise ServiceError(
            "invalid_filter",
            _("The filter cannot be used. %(problems)s") % {"problems": problems},
        )
    return filterset.qs


def exporter_for(identifier):
    exporter = registry.get(identifier)
    if exporter is None:
        known = ", ".join(code for code, _label in registry.choices())
        raise ServiceError(
            "unknown_format",
            _("Unknown export format “%(format)s”. Use one of: %(known)s.")
            % {"format": identifier, "known": known},
        )
    return exporter


def start_export(user, format, query, channel=ExportChannel.WEB):
    """Record an export in the log and run it: now if it is small, else in the background.

    Returns the ExportJob; raise ServiceError for an unknown format or an unusable filter."""
    exporter_for(format)
    query = clean_query(QueryDict(query))
    total = filtered_incidents(user, query).count()
    job = ExportJob.objects.create(
        requested_by=user,
        requested_by_name=user.get_username(),
        channel=channel,
        format=format,
        filter_query=query,
        total=total,
    )
    if total <= settings.EXPORT_SYNC_MAX_ROWS:
        run_job(job.pk)
        job.refresh_from_db()
    else:
        from ..tasks import run_export

        # Enqueue once the job row is committed, so the worker always finds it.
        transaction.on_commit(lambda: run_export.enqueue(job.pk))
    return job


def job_folder(job):
    return Path(settings.MEDIA_ROOT) / "exports" / str(job.pk)


def run_job(job_id):
    """Write the file and manifest of a queued export job; the worker calls this too."""
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    # Claim the job in one statement, so that two workers never write the same export.
    claimed = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return job
    folder = job_folder(job)
    try:
        user = job.requested_by
        if user is None or not user.is_active:
            raise ServiceError(
                "no_user", _("The person who asked for this export can no longer sign in.")
            )
        folder.mkdir(parents=True, exist_ok=True)
        result = write_export(
            exporter_for(job.format),
            filtered_incidents(user, job.filter_query),
            folder,
            job=job,
        )
    except Exception as exc:  # the job must end failed, with a message, whatever went wrong
        logger.exception("Export %s failed", job.pk)
        shutil.rmtree(folder, ignore_errors=True)
        message = (
            exc.message
            if isinstance(exc, ServiceError)
            else (
                f"The export could not be written ({exc.__class__.__name__}: {exc}). "
                "Tell an administrator."
            )
        )
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED, error=message, finished_at=timezone.now()
        )
        job.refresh_from_db()
        return job
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.DONE,
        stored_file=f"exports/{job.pk}/{result['filename']}",
        finished_at=timezone.now(),
        **{k: v for k, v in result.items() if k != "path"},
    )
    job.refresh_from_db()
    return job


def write_export(exporter, queryset, folder, job, filename=None):
    """Write `exporter`'s file for `queryset` into `folder` and its manifest beside it.

    Returns the job fields that describe the result: filename, media_type, size_bytes,
    sha256, record_count, progress, manifest and the file's path."""
    from .source import ExportSource

    def progress(done):
        ExportJob.objects.filter(pk=job.pk).update(progress=done)

    source = ExportSource(
        queryset=queryset,
        filter_query=job.filter_query,
        generated_by=job.requested_by_name,
        generated_at=job.created_at,
        progress=progress,
        sequence=job.pk,
        # No requester: `export_incidents` without --user, run by the server's operator.
        personal_site_ids=personal_data_site_ids(job.requested_by or operator()),
    )
    filename = filename or exporter.filename(source)
    path = Path(folder) / filename
    exporter.write(source, path)
    count = ExportJob.objects.values_list("progress", flat=True).get(pk=job.pk)
    digest = manifest.sha256_of_path(path)
    size = path.stat().st_size
    document = manifest.build(
        source, exporter, [manifest.file_entry(filename, digest, size, exporter.media_type)], count
    )
    (Path(folder) / f"{filename}.manifest.json").write_bytes(manifest.dumps(document))
    audit.record_event(
        "export",
        user=job.requested_by,
        details={
            "job": job.pk,
            "format": exporter.identifier,
            "filter": job.filter_query,
            "records": count,
            "personal_data": document["personal_data"],
            "file": filename,
            "sha256": digest,
        },
    )
    return {
        "path": path,
        "filename": filename,
        "media_type": exporter.media_type,
        "size_bytes": size,
        "sha256": digest,
        "record_count": count,
        "progress": count,
        "manifest": document,
    }


def export_to_file(format, output, query="", user=None):
    """Write an export to `output` (and `output`.manifest.json) for the command line, and log
    it. Without `user`, the server's operator exports from every site."""
    exporter = exporter_for(format)
    query = clean_query(QueryDict(query))
    person = user or operator()
    queryset = filtered_incidents(person, query)
    job = ExportJob.objects.create(
        requested_by=user,
        requested_by_name=person.get_username(),
        channel=ExportChannel.COMMAND,
        format=format,
        filter_query=query,
        total=queryset.count(),
        status=ExportStatus.RUNNING,
        started_at=timezone.now(),
    )
    output = Path(output).resolve()
    try:
        result = write_export(exporter, queryset, output.parent, job, filename=output.name)
    except Exception as exc:
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED, error=str(exc), finished_at=timezone.now()
        )
        raise
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.DONE,
        finished_at=timezone.now(),
        **{k: v for k, v in result.items() if k != "path"},
    )
    job.refresh_from_db()
    return job

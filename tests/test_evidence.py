"""Evidence files: stored with their SHA-256 and delivered only to people who may see them."""

import base64
import hashlib

import pytest
from django.core.files.base import ContentFile

from incidents.choices import Status
from incidents.models import Evidence
from tests import samples

CONTENT = samples.jpeg(gps=(106.6571, -6.1262), taken="2026:11:20 14:03:05")


@pytest.fixture
def evidence(record, site_a, staff_a):
    def _evidence(status=Status.DRAFT):
        item = Evidence(incident=record(site_a, status=status), uploaded_by=staff_a)
        item.file.save("fence camera.jpg", ContentFile(CONTENT), save=False)
        item.full_clean()
        item.save()
        return item

    return _evidence


@pytest.mark.parametrize(
    ("persona", "status", "expected"),
    [
        ("staff_a", Status.DRAFT, 200),
        ("supervisor_a", Status.DRAFT, 200),
        ("admin", Status.DRAFT, 200),
        ("staff_b", Status.SUBMITTED, 404),
        ("regulator", Status.DRAFT, 404),
        ("regulator", Status.SUBMITTED, 200),
    ],
)
def test_evidence_file_is_served_only_to_people_who_see_the_incident(
    client, personas, evidence, persona, status, expected
):
    item = evidence(status)
    client.force_login(personas[persona])
    response = client.get(item.file.url)
    assert response.status_code == expected
    if expected == 200:
        assert b"".join(response.streaming_content) == CONTENT
        assert response["Content-Type"] == "image/jpeg"
        assert response["Content-Disposition"].startswith("attachment;")
        assert 'filename="fence_camera.jpg"' in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
        digest = base64.b64encode(hashlib.sha256(CONTENT).digest()).decode()
        assert response["Repr-Digest"] == f"sha-256=:{digest}:"


def test_anonymous_visitor_is_sent_to_sign_in(client, evidence):
    response = client.get(evidence().file.url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_evidence_urls_point_at_the_checked_view_not_the_media_folder(evidence):
    assert evidence().file.url.startswith("/evidence/files/evidence/CGK/")


def test_missing_evidence_file_is_a_clear_404(client, staff_a, evidence):
    item = evidence()
    item.file.storage.delete(item.file.name)
    client.force_login(staff_a)
    response = client.get(item.file.url)
    assert response.status_code == 404


def test_admin_inline_links_to_the_checked_view(client, admin_user, evidence):
    item = evidence()
    client.force_login(admin_user)
    page = client.get(f"/admin/incidents/incident/{item.incident_id}/change/").content.decode()
    assert f'href="{item.file.url}"' in page
    assert item.sha256 in page


def test_uploaded_file_keeps_the_name_it_was_given(record, site_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    item = Evidence(
        incident=record(site_a), file=SimpleUploadedFile("Drone at gate 3.mp4", samples.mp4())
    )
    item.full_clean()
    item.save()
    assert item.original_name == "Drone at gate 3.mp4"
    assert item.media_type == "video/mp4"
    assert item.sha256 == hashlib.sha256(samples.mp4()).hexdigest()


# --- Uploads are judged by their content ---------------------------------------------------


HOSTILE = {
    "html renamed .jpg": (
        "holiday.jpg",
        b"<html><body><script>alert(1)</script></body></html>",
        "not a photo, video, audio recording or PDF",
    ),
    "svg with script": (
        "logo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "not a photo, video, audio recording or PDF",
    ),
    "decompression bomb": ("scan.png", samples.png_bomb(), "decompression bomb"),
    "jpeg/html polyglot": (
        "camera.jpg",
        samples.jpeg() + b"<script>fetch('/x')</script>",
        "polyglot",
    ),
    "pdf with javascript": (
        "report.pdf",
        samples.pdf().replace(
            b"/Catalog", b"/Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"
        ),
        "polyglot",
    ),
    "executable": ("tool.mp4", b"MZ\x90\x00" + b"\x00" * 200, "not accepted as evidence"),
    "empty file": ("nothing.jpg", b"", "empty"),
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_hostile_uploads_are_refused_with_a_clear_message(record, site_a, case):
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    name, content, message = HOSTILE[case]
    item = Evidence(incident=record(site_a), file=SimpleUploadedFile(name, content))
    with pytest.raises(ValidationError) as refused:
        item.full_clean()
    assert message in refused.value.message_dict["file"][0]
    assert not Evidence.objects.exists()


def test_oversize_file_is_refused_naming_the_limit(record, site_a, settings):
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    big = samples.mp4() + b"\x00" * (2 * 1024 * 1024)
    item = Evidence(incident=record(site_a), file=SimpleUploadedFile("long.mp4", big))
    with pytest.raises(ValidationError) as refused:
        item.full_clean()
    assert "larger than the 1 MB limit" in refused.value.message_dict["file"][0]


def test_a_file_named_like_a_photo_gets_the_type_its_content_proves(record, site_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    item = Evidence(incident=record(site_a), file=SimpleUploadedFile("scan.jpg", samples.pdf()))
    item.full_clean()
    item.save()
    assert item.media_type == "application/pdf"


def test_photo_exif_time_and_gps_are_read_and_a_clean_preview_is_made(client, staff_a, evidence):
    from PIL import Image

    item = evidence()
    item.refresh_from_db()
    assert item.exif_location.x == pytest.approx(106.6571, abs=1e-4)
    assert item.exif_location.y == pytest.approx(-6.1262, abs=1e-4)
    # No offset in the EXIF: the camera's clock is read in the site's zone (Asia/Jakarta).
    assert item.exif_taken_at.isoformat() == "2026-11-20T07:03:05+00:00"
    client.force_login(staff_a)
    response = client.get(f"/evidence/preview/{item.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    import io

    preview = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert not preview.getexif()
    with open(item.file.path, "rb") as stored:
        assert stored.read() == CONTENT  # the original is kept unchanged


def test_preview_is_served_only_to_people_who_see_the_incident(client, staff_b, evidence):
    item = evidence()
    client.force_login(staff_b)
    assert client.get(f"/evidence/preview/{item.pk}/").status_code == 404


def test_evidence_is_never_replaced(evidence):
    from django.core.exceptions import ValidationError
    from django.core.files.base import ContentFile

    item = evidence()
    item.file.save("other.jpg", ContentFile(samples.jpeg(colour=(1, 2, 3))), save=False)
    with pytest.raises(ValidationError) as refused:
        item.full_clean()
    assert "never replaced" in refused.value.message_dict["file"][0]

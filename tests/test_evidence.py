"""Evidence files: stored with their SHA-256 and delivered only to people who may see them."""

import base64
import hashlib

import pytest
from django.core.files.base import ContentFile

from incidents.choices import Status
from incidents.models import Evidence

CONTENT = b"\xff\xd8\xff fake jpeg of two quadcopters over the fence"


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
        assert 'filename="fence_camera.jpg"' in response["Content-Disposition"]
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
        incident=record(site_a), file=SimpleUploadedFile("Drone at gate 3.mp4", b"video")
    )
    item.full_clean()
    item.save()
    assert item.original_name == "Drone at gate 3.mp4"
    assert item.media_type == "video/mp4"
    assert item.sha256 == hashlib.sha256(b"video").hexdigest()

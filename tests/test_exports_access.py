"""Who may export what, through the page, the API and the file views, as each persona."""

import csv
import io
import json

import pytest
from django.urls import reverse

from incidents.models import ExportJob

from .exports_support import dataset

__all__ = ["dataset"]


def rows_of(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def post_export(client, user, query, format="csv"):
    client.force_login(user)
    data = {"format": format}
    for pair in filter(None, query.split("&")):
        key, value = pair.split("=")
        data.setdefault(key, []).append(value)
    return client.post(reverse("exports"), data)


def test_anonymous_is_sent_to_sign_in(client, dataset):
    for url in (reverse("exports"), reverse("export_job", args=[1])):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_export_page_shows_the_count_for_the_list_filter(client, regulator, dataset):
    client.force_login(regulator)
    response = client.get(reverse("exports") + "?site=CGK&status=submitted")
    assert response.status_code == 200
    assert "2 incidents match this filter." in response.content.decode()
    assert 'value="CGK"' in response.content.decode()  # the filter is carried to the export


def test_regulator_exports_granted_site_without_drafts(client, regulator, dataset):
    response = post_export(client, regulator, "site=CGK")
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("export_job", args=[job.pk])
    rows = rows_of(client.get(reverse("export_download", args=[job.pk])))
    assert {r["site_code"] for r in rows} == {"CGK"}
    assert "draft" not in {r["status"] for r in rows}
    assert len(rows) == 3
    assert job.requested_by == regulator


def test_regulator_cannot_export_a_site_not_granted(client, regulator, dataset):
    response = post_export(client, regulator, "site=DPS")
    assert response.status_code == 400
    assert "site:" in response.content.decode()
    assert "Select a valid choice" in response.content.decode()
    assert not ExportJob.objects.exists()


def test_regulator_asking_for_drafts_gets_none(client, regulator, dataset):
    post_export(client, regulator, "site=CGK&status=draft")
    assert ExportJob.objects.get().record_count == 0


def test_staff_cannot_export_another_site(client, staff_b, dataset):
    response = post_export(client, staff_b, "site=CGK")
    assert response.status_code == 400
    assert not ExportJob.objects.exists()
    post_export(client, staff_b, "")
    rows = rows_of(client.get(reverse("export_download", args=[ExportJob.objects.get().pk])))
    assert {r["site_code"] for r in rows} == {"DPS"}


def test_staff_export_includes_own_drafts(client, staff_a, dataset):
    post_export(client, staff_a, "status=draft")
    assert ExportJob.objects.get().record_count == 1


@pytest.mark.parametrize("who", ["staff_b", "regulator", "admin"])
def test_files_go_only_to_the_requester(client, personas, staff_a, dataset, who):
    post_export(client, staff_a, "site=CGK")
    job = ExportJob.objects.get()
    client.force_login(personas[who])
    for name in ("export_job", "export_status", "export_download", "export_manifest"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404


def test_requester_gets_file_with_digest_and_manifest(client, staff_a, dataset):
    post_export(client, staff_a, "site=CGK&status=submitted", format="geojson")
    job = ExportJob.objects.get()
    page = client.get(reverse("export_job", args=[job.pk])).content.decode()
    assert job.sha256 in page
    response = client.get(reverse("export_download", args=[job.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Repr-Digest"].startswith("sha-256=:")
    delivered = client.get(reverse("export_manifest", args=[job.pk]))
    manifest = json.loads(b"".join(delivered.streaming_content))
    assert manifest["files"][0]["sha256"] == job.sha256
    assert manifest["generated_by"] == "staff_a"


def test_unknown_format_is_refused_on_the_page(client, staff_a, dataset):
    response = post_export(client, staff_a, "", format="doc")
    assert response.status_code == 400
    assert "Unknown export format" in response.content.decode()


def test_api_creates_polls_and_delivers_an_export(client, regulator, dataset):
    client.force_login(regulator)
    response = client.post(
        "/api/v1/exports/",
        {"format": "kml", "filter": {"site": ["CGK"], "status": ["submitted"]}},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "done"
    assert body["record_count"] == 2
    assert client.get(f"/api/v1/exports/{body['id']}/").json()["sha256"] == body["sha256"]
    assert client.get(f"/api/v1/exports/{body['id']}/file/").status_code == 200
    assert [j["id"] for j in client.get("/api/v1/exports/").json()] == [body["id"]]
    assert ExportJob.objects.get().channel == "api"


def test_api_refuses_a_site_not_granted_and_anonymous(client, regulator, staff_b, dataset):
    assert client.post("/api/v1/exports/", {"format": "csv"}).status_code == 401
    client.force_login(regulator)
    response = client.post(
        "/api/v1/exports/", {"format": "csv", "filter": "site=DPS"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_filter"
    client.force_login(staff_b)
    post = client.post("/api/v1/exports/", {"format": "csv"}, content_type="application/json")
    assert client.get(f"/api/v1/exports/{post.json()['id']}/").status_code == 200
    client.force_login(regulator)
    assert client.get(f"/api/v1/exports/{post.json()['id']}/").status_code == 404


def test_export_log_is_visible_to_admins_only(client, admin_user, staff_a, dataset):
    post_export(client, staff_a, "site=CGK")
    assert client.get("/admin/incidents/exportjob/").status_code == 302  # staff_a: no admin
    client.force_login(admin_user)
    page = client.get("/admin/incidents/exportjob/")
    assert page.status_code == 200
    assert "staff_a" in page.content.decode()


@pytest.mark.parametrize(
    "body",
    [[], {"format": 3}, {"format": "csv", "filter": 5}, {"format": "csv", "filter": [1]}, {}],
)
def test_api_answers_malformed_requests_with_400(client, staff_a, dataset, body):
    client.force_login(staff_a)
    response = client.post("/api/v1/exports/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not ExportJob.objects.exists()

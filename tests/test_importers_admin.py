"""The admin's import pages: upload, dry run, report; each as the people who may or may not."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from incidents.models import ExternalReport, ReferenceZone, Site

DATA = Path(__file__).parent / "data"


def _post(client, url, path, dry_run, **extra):
    with path.open("rb") as handle:
        data = {"file": handle, **extra}
        if dry_run:
            data["dry_run"] = "on"
        return client.post(url, data)


@pytest.mark.django_db
def test_site_import_page_dry_run_then_import(client, admin_user):
    client.force_login(admin_user)
    url = reverse("admin:incidents_site_import")
    page = client.get(url)
    assert page.status_code == 200
    assert "Dry run" in page.content.decode()
    response = _post(client, url, DATA / "sites" / "sites.geojson", dry_run=True)
    text = response.content.decode()
    assert response.status_code == 200
    assert "Dry run, nothing saved: 3 would be created" in text
    assert "feature 3 (PLJ), timezone: “Asia/Jakartaa” is not a known IANA time zone" in text
    assert not Site.objects.exists()
    response = _post(client, url, DATA / "sites" / "sites.geojson", dry_run=False)
    assert "3 were created" in response.content.decode()
    assert Site.objects.count() == 3


@pytest.mark.django_db
def test_site_import_page_explains_a_bad_field_mapping(client, admin_user):
    client.force_login(admin_user)
    url = reverse("admin:incidents_site_import")
    response = _post(client, url, DATA / "sites" / "sites.gpkg", dry_run=True, mapping="x")
    assert "“x” is not a mapping" in response.content.decode()


@pytest.mark.django_db
def test_zone_and_faa_import_pages(client, admin_user):
    client.force_login(admin_user)
    changelist = client.get(reverse("admin:incidents_referencezone_changelist"))
    assert reverse("admin:incidents_referencezone_import") in changelist.content.decode()
    url = reverse("admin:incidents_referencezone_import")
    invalid = DATA / "zones" / "InvalidExample_GeoZone_2_Layers.json"
    text = _post(client, url, invalid, dry_run=False).content.decode()
    assert "metadata.validFrom" in text and not ReferenceZone.objects.exists()
    che = DATA / "zones" / "ed269_interuss_geo-awareness-che-1.json"
    _post(client, url, che, dry_run=False)
    assert ReferenceZone.objects.count() == 6

    url = reverse("admin:incidents_externalreport_import")
    workbook = DATA / "faa" / "FAA_Oct2025-Dec2025.xlsx"
    text = _post(client, url, workbook, dry_run=True).content.decode()
    assert "Dry run, nothing saved: 303 would be created" in text
    assert not ExternalReport.objects.exists()
    _post(client, url, workbook, dry_run=False)
    assert ExternalReport.objects.count() == 303


@pytest.mark.django_db
def test_import_pages_are_closed_to_everyone_else(client, personas):
    urls = [
        reverse("admin:incidents_site_import"),
        reverse("admin:incidents_referencezone_import"),
        reverse("admin:incidents_externalreport_import"),
    ]
    for name, user in personas.items():
        if name == "admin":
            continue
        client.logout()
        if name != "anonymous":
            client.force_login(user)
        for url in urls:
            # Not admin staff: the admin sends them to its login page.
            assert client.get(url).status_code == 302, (name, url)


@pytest.mark.django_db
def test_staff_with_site_permissions_still_cannot_import_sites(client, supervisor_a):
    supervisor_a.is_staff = True
    supervisor_a.save()
    supervisor_a.user_permissions.set(
        Permission.objects.filter(
            codename__in=["add_site", "change_site", "add_externalreport", "change_externalreport"]
        )
    )
    client.force_login(supervisor_a)
    assert client.get(reverse("admin:incidents_site_import")).status_code == 403
    assert client.get(reverse("admin:incidents_externalreport_import")).status_code == 200

"""Bahasa Indonesia: every label of the sighting form, the list and the detail page is
translated when the user switches language."""

import re

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst

from incidents.choices import Status
from incidents.forms import ActionForm, SightingForm, reporting_sites


@pytest.fixture(autouse=True)
def _english_afterwards():
    # LocaleMiddleware leaves the last request's language active in this thread; later
    # tests compare English messages.
    yield
    translation.activate("en")


def in_indonesian(client):
    client.cookies["django_language"] = "id"


def field_labels(form):
    """The English and Indonesian label of each field, where the two differ."""
    pairs = []
    for name, field in form.fields.items():
        with translation.override("en"):
            english = str(capfirst(field.label))
        with translation.override("id"):
            indonesian = str(capfirst(field.label))
        if english != indonesian:
            pairs.append((name, english, indonesian))
    return pairs


def label_texts(page):
    """The text of every <label> and <legend> on the page."""
    return {
        re.sub(r"<[^>]+>|\*", "", text).strip()
        for text in re.findall(r"<(?:label|legend)[^>]*>(.*?)</(?:label|legend)>", page, re.S)
    }


def test_sighting_form_labels_are_all_indonesian(client, staff_a, site_a):
    in_indonesian(client)
    client.force_login(staff_a)
    page = client.get(reverse("incident_new")).content.decode()
    labels = label_texts(page)
    form = SightingForm(sites=reporting_sites(staff_a))
    pairs = field_labels(form) + field_labels(ActionForm())
    assert len(pairs) > 20
    for name, english, indonesian in pairs:
        if name in {"site_choice", "submission_token"}:
            continue  # hidden for a member of a single site
        assert english not in labels, name
        assert indonesian in labels, name
    for text in ("Laporkan penampakan drone", "Di mana", "Kapan", "Cara terdeteksi"):
        assert text in page
    for english in ("Log a drone sighting", "Save and submit", "Use my location", "Where"):
        assert english not in page
    assert '<html lang="id">' in page


def test_list_is_indonesian(client, staff_a, record, site_a):
    record(site_a, status=Status.SUBMITTED)
    in_indonesian(client)
    client.force_login(staff_a)
    page = client.get(reverse("incident_list")).content.decode()
    for text in ("Saring dan urutkan", "Pertama terlihat (waktu lokasi)", "Diajukan", "Tinggi"):
        assert text in page
    for english in ("Filter and sort", "First seen (site time)", "Submitted", ">High<", "Sort by"):
        assert english not in page


def test_detail_is_indonesian(client, supervisor_a, record, site_a):
    incident = record(site_a, status=Status.SUBMITTED)
    in_indonesian(client)
    client.force_login(supervisor_a)
    page = client.get(reverse("incident_detail", args=[incident.reference])).content.decode()
    for text in ("Tingkat bahaya", "Di dalam perimeter", "Mulai tinjauan", "Linimasa", "Dibuat"):
        assert text in page
    for english in ("Severity", "Inside perimeter", "Start review", "Timeline", "What was seen"):
        assert english not in page


@pytest.mark.parametrize("language", ["en", "id"])
def test_language_switcher_sets_the_language(client, staff_a, language):
    client.force_login(staff_a)
    response = client.post(
        reverse("set_language"), {"language": language, "next": reverse("incident_list")}
    )
    assert response.status_code == 302
    page = client.get(reverse("incident_list")).content.decode()
    assert f'<html lang="{language}">' in page


def test_reports_form_is_indonesian(client, supervisor_a, site_a):
    in_indonesian(client)
    client.force_login(supervisor_a)
    page = client.get(reverse("reports")).content.decode()
    for text in ("Laporan ringkasan (PDF)", "Hari pertama", "Buat ringkasan (PDF)"):
        assert text in page
    for english in ("Summary reports (PDF)", "First day", "Make the summary (PDF)"):
        assert english not in page


def test_exports_page_is_indonesian(client, staff_a, site_a):
    in_indonesian(client)
    client.force_login(staff_a)
    page = client.get(reverse("exports")).content.decode()
    for text in ("Ekspor insiden", "Terapkan filter", "Ekspor Anda", "Anda belum mengekspor"):
        assert text in page
    for english in ("Export incidents", "Apply filter", "Your exports", "not exported anything"):
        assert english not in page


def test_patterns_list_is_indonesian(client, supervisor_a, site_a):
    in_indonesian(client)
    client.force_login(supervisor_a)
    page = client.get(reverse("pattern_list")).content.decode()
    for text in ("Aktivitas terkoordinasi", "Tampilkan:", "Tidak ada pola"):
        assert text in page
    for english in ("Coordinated activity", "Show:", "No patterns involve"):
        assert english not in page


def test_two_factor_setup_is_indonesian(client, supervisor_a, settings):
    settings.TWO_FACTOR_REQUIRED = True
    in_indonesian(client)
    client.force_login(supervisor_a)
    page = client.get(reverse("two_factor_setup")).content.decode()
    for text in ("Siapkan masuk dua langkah", "Pindai kode QR ini", "Konfirmasi dan lanjutkan"):
        assert text in page
    for english in ("Set up two-factor sign-in", "Scan this QR code", "Confirm and continue"):
        assert english not in page


def test_site_map_layers_and_incident_links_are_indonesian(client, staff_a, record, site_a):
    incident = record(site_a)
    in_indonesian(client)
    client.force_login(staff_a)
    page = client.get(reverse("site_map", args=[site_a.code])).content.decode()
    assert "Laporan eksternal" in page and "Zona acuan" in page
    assert "External reports" not in page and "Reference zones" not in page
    page = client.get(reverse("incident_detail", args=[incident.reference])).content.decode()
    assert "Laporan PDF" in page and "Laporan terkait" in page
    assert "PDF report" not in page and "Related reports" not in page

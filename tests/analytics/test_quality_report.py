import io
import re
import zlib

import pytest
import weasyprint

from servicecycle.analytics import charts
from servicecycle.analytics.methods.ipa import ipa
from servicecycle.analytics.methods.nps import nps
from servicecycle.analytics.quality_report import build_quality_report


def _page_count(pdf: bytes) -> int:
    """Pages in a PDF: pypdf when installed, else count page objects ourselves."""
    try:
        import pypdf
    except ImportError:
        # WeasyPrint packs objects into compressed object streams, so inflate every
        # Flate stream and count the objects of type /Page (not /Pages).
        text = pdf
        for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
            try:
                text += zlib.decompress(match.group(1))
            except zlib.error:
                continue
        return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", text))
    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def _inputs():
    r = ipa(["speed", "speed", "decor", "staff"], [7, 6, 3, 6], [3, 4, 2, 6], [5, 6, 4, 5])
    trend = [("Q1", nps([10, 9, 3, 7, 8])), ("Q2", nps([10, 10, 9, 6, 8]))]
    return [
        ("Importance-performance", charts.ipa_chart(r)),
        ("Gap to competitor", charts.competitor_gap_chart(r)),
        ("NPS by wave", charts.nps_trend_chart(trend)),
    ]


def test_one_page_pdf_with_figures_and_charts():
    pdf = build_quality_report(
        title="Service quality <Q2>",
        subtitle="Branch & online, April-June",
        figures=[("NPS", "+32"), ("CSAT", "81 %"), ("Promises kept", "94 %")],
        charts=_inputs(),
    )
    assert pdf.startswith(b"%PDF")
    assert _page_count(pdf) == 1


def test_the_html_is_escaped_and_still_one_page():
    # An unescaped "<script>" or "&" would break the markup; the page must still render.
    pdf = build_quality_report(title="<script>x</script> & co", subtitle="", figures=[("a<b", "1 & 2")], charts=[])
    assert pdf.startswith(b"%PDF") and _page_count(pdf) == 1


def test_weasyprint_counts_a_single_page_for_the_same_content(monkeypatch):
    pages = []
    real_render = weasyprint.HTML.render

    def spy(self, *args, **kwargs):
        doc = real_render(self, *args, **kwargs)
        pages.append(len(doc.pages))
        return doc

    monkeypatch.setattr(weasyprint.HTML, "render", spy)
    build_quality_report(title="T", subtitle="S", figures=[("NPS", "10")], charts=_inputs()[:1])
    assert pages == [1]


def test_too_much_content_is_refused():
    with pytest.raises(ValueError, match="pages"):
        build_quality_report(title="T", subtitle="S", figures=[(f"figure {i}", str(i)) for i in range(120)], charts=[])


def test_page_counter_sees_more_than_one_page():
    two = weasyprint.HTML(string='<p>a</p><p style="break-before: page">b</p>').write_pdf()
    assert _page_count(two) == 2

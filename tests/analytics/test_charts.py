import json
from pathlib import Path

import altair as alt
import jsonschema
import pytest

from servicecycle.analytics import charts
from servicecycle.analytics.methods.drivers import key_drivers
from servicecycle.analytics.methods.ipa import ipa
from servicecycle.analytics.methods.lifecycle import bass_adoptions, lifecycle
from servicecycle.analytics.methods.nps import nps
from servicecycle.analytics.methods.servqual import servqual

MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-"}


def _ipa():
    rows = [
        ("speed", 7, 3, 5),
        ("speed", 6, 4, 6),
        ("decor", 3, 2, 4),
        ("parking", 2, 7, 5),
        ("staff", 6, 6, 5),
    ]
    att, imp, perf, comp = zip(*rows, strict=True)
    return ipa(att, imp, perf, comp)


def _specs():
    import numpy as np

    rng = np.random.default_rng(1)
    e = rng.integers(4, 8, (20, 22))
    p = rng.integers(2, 8, (20, 22))
    x = rng.normal(size=(80, 3))
    y = x @ [1.0, 0.4, 0.1] + rng.normal(size=80)
    demand = bass_adoptions(10, 0.03, 0.5, 1000)
    return {
        "ipa": charts.ipa_chart(_ipa()),
        "gap": charts.competitor_gap_chart(_ipa()),
        "servqual": charts.servqual_chart(servqual(e, p)),
        "drivers": charts.drivers_chart(key_drivers(x, y, ["speed", "price", "decor"], method="lmg")),
        "nps": charts.nps_trend_chart([("Q1", nps([10, 9, 3, 7])), ("Q2", nps([10, 10, 9, 6, 8]))]),
        "lifecycle": charts.lifecycle_chart(lifecycle(range(2015, 2025), demand, from_launch=True)),
        "lifecycle_nobass": charts.lifecycle_chart(lifecycle([1, 2], [3, 5])),
    }


SPECS = _specs()


@pytest.fixture(scope="module")
def schema():
    path = Path(alt.__file__).parent / "vegalite" / "v6" / "schema" / "vega-lite-schema.json"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(SPECS))
def test_spec_validates_against_the_vega_lite_schema(name, schema):
    spec = SPECS[name]
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v6")
    jsonschema.validate(spec, schema)
    json.dumps(spec)  # plain, serialisable dict


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
@pytest.mark.parametrize("name", sorted(SPECS))
def test_renders_to_each_format(name, fmt):
    data = charts.render(SPECS[name], fmt)
    if fmt == "svg":
        assert data.lstrip().startswith(b"<svg")
        assert b"</svg>" in data
    else:
        assert data.startswith(MAGIC[fmt])
    assert len(data) > 500


def test_ipa_chart_has_crosshair_and_quadrant_labels():
    text = json.dumps(SPECS["ipa"])
    for label in ("Concentrate here", "Keep up the good work", "Low priority", "Possible overkill"):
        assert label in text
    assert sum(1 for layer in SPECS["ipa"]["layer"] if layer["mark"]["type"] == "rule") == 2


def test_lifecycle_chart_shows_the_bass_curve_only_when_fitted():
    assert len(SPECS["lifecycle"]["layer"]) == 2
    assert len(SPECS["lifecycle_nobass"]["layer"]) == 1
    assert "No Bass fit" in json.dumps(SPECS["lifecycle_nobass"])


def test_gap_chart_needs_competitor_data_and_render_rejects_unknown_format():
    no_comp = ipa(["a", "b"], [1, 2], [3, 4])
    with pytest.raises(ValueError):
        charts.competitor_gap_chart(no_comp)
    with pytest.raises(ValueError):
        charts.render(SPECS["ipa"], "gif")  # type: ignore[arg-type]


def test_charts_speak_the_active_language_and_write_its_numbers():
    from django.utils import translation

    demand = [400, 520, 900, 1500, 2300, 3300, 4600]
    with translation.override("es"):
        spec = charts.lifecycle_chart(lifecycle(range(2019, 2026), demand, from_launch=True))
        ipa_text = json.dumps(charts.ipa_chart(_ipa()), ensure_ascii=False)
        nps_text = json.dumps(charts.nps_trend_chart([("T1", nps([10, 9, 3, 7]))]), ensure_ascii=False)
    svg = charts.render(spec, "svg").decode()
    for text in ("Periodo", "Demanda", "Etapa", "Introducción", "Crecimiento", "Demanda y etapa del ciclo de vida"):
        assert f">{text}<" in svg
    assert ">1\xa0000<" in svg and ">1,000<" not in svg  # the thousands as the Spanish pages write them
    assert ">Stage<" not in svg and ">growth<" not in svg
    for text in ('"Desempeño"', '"Importancia"', '"Cuadrante"', '"Concentrarse aquí"'):
        assert text in ipa_text
    assert '"Oleada"' in nps_text and '"Wave"' not in nps_text
    with translation.override("en"):
        english = charts.lifecycle_chart(lifecycle(range(2019, 2026), demand, from_launch=True))
    assert english["config"]["locale"]["number"]["decimal"] == "."
    assert ">1,000<" in charts.render(english, "svg").decode()

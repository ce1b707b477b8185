import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest

from servicecycle.analytics import cli
from servicecycle.analytics.methods.lifecycle import bass_adoptions

SRC = str(Path(__file__).resolve().parents[2] / "src")


def write(tmp_path: Path, text: str, name: str = "data.csv", bom: bool = False) -> str:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return str(path)


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_process(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run(
        [sys.executable, "-m", "servicecycle.analytics.cli", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# --- sample files ----------------------------------------------------------------------

NPS_CSV = "score,wave\n10,w1\n9,w1\n7,w1\n3,w1\n10,w2\n10,w2\n9,w2\n8,w2\n"


def servqual_csv(weights: bool = True, bad_weight_row: bool = False) -> str:
    rng = np.random.default_rng(2)
    cols = [f"E{i}" for i in range(1, 23)] + [f"P{i}" for i in range(1, 23)]
    wcols = ["W_tangibles", "W_reliability", "W_responsiveness", "W_assurance", "W_empathy"]
    lines = [",".join(cols + (wcols if weights else []))]
    for r in range(6):
        e = rng.integers(4, 8, 22)
        p = rng.integers(1, 8, 22)
        w = [20, 30, 20, 15, 15] if not (bad_weight_row and r == 2) else [20, 30, 20, 15, 5]
        lines.append(",".join(str(v) for v in [*e, *p, *(w if weights else [])]))
    return "\n".join(lines) + "\n"


IPA_CSV = (
    "attribute,importance,performance,competitor_performance\n"
    "speed,7,3,5\nspeed,6,4,6\ncourtesy,6,6,5\ncourtesy,6,6,\n"
    "decor,3,2,4\ndecor,3,4,4\nparking,2,7,5\nparking,3,6,5\n"
)


def drivers_csv() -> str:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(60, 3))
    y = x @ [1.0, 0.5, 0.2] + rng.normal(size=60)
    lines = ["id,name,speed,price,courtesy,overall"]
    lines += [f"{i},c{i},{a:.5f},{b:.5f},{c:.5f},{t:.5f}" for i, ((a, b, c), t) in enumerate(zip(x, y, strict=True))]
    return "\n".join(lines) + "\n"


def lifecycle_csv() -> str:
    demand = bass_adoptions(10, 0.03, 0.5, 1000)
    return "period,demand\n" + "".join(f"{2015 + i},{d:.6f}\n" for i, d in enumerate(demand))


# --- every output shape ------------------------------------------------------------------


def test_nps_json_via_subprocess_with_bom(tmp_path):
    proc = run_process("nps", write(tmp_path, NPS_CSV, bom=True), "--column", "score")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"n", "promoters", "passives", "detractors", "nps", "se", "ci95"}
    assert (out["n"], out["promoters"], out["passives"], out["detractors"]) == (8, 5, 2, 1)
    assert out["nps"] == pytest.approx(50.0)
    assert len(out["ci95"]) == 2


def test_csat_and_ces(tmp_path, capsys):
    path = write(tmp_path, "rating,effort\n5,1\n4,2\n3,7\n5,3\n")
    code, out, _ = run_main(capsys, "csat", path, "--column", "rating", "--scale", "5")
    assert code == 0 and json.loads(out) == {"n": 4, "csat": 75.0}
    code, out, _ = run_main(capsys, "ces", path, "--column", "effort", "--scale", "7")
    res = json.loads(out)
    assert code == 0 and set(res) == {"n", "ces", "sd", "ci95"}
    assert res["ces"] == pytest.approx(3.25)
    proc = run_process("csat", path, "--column", "rating", "--scale", "5")
    assert proc.returncode == 0 and json.loads(proc.stdout)["csat"] == 75.0


def test_alpha_default_and_selected_columns(tmp_path, capsys):
    path = write(tmp_path, "a,b,c\n1,2,2\n2,2,3\n3,4,3\n4,5,5\n5,,4\n")
    code, out, _ = run_main(capsys, "alpha", path)
    res = json.loads(out)
    assert code == 0 and (res["n"], res["k"]) == (4, 3)
    complete = pd.DataFrame([[1, 2, 2], [2, 2, 3], [3, 4, 3], [4, 5, 5]])
    assert res["alpha"] == pytest.approx(pg.cronbach_alpha(complete)[0])
    assert len(res["ci95"]) == 2
    code, out, _ = run_main(capsys, "alpha", path, "--columns", "a,c")
    assert code == 0 and json.loads(out)["k"] == 2 and json.loads(out)["n"] == 5
    proc = run_process("alpha", path, "--columns", "a,b,c")
    assert proc.returncode == 0 and json.loads(proc.stdout)["n"] == 4


def test_servqual_with_and_without_weights(tmp_path, capsys):
    code, out, _ = run_main(capsys, "servqual", write(tmp_path, servqual_csv()))
    res = json.loads(out)
    assert code == 0
    assert set(res) == {"n", "items", "dimensions", "overall", "weighted_overall"}
    assert list(res["items"]) == [str(i) for i in range(1, 23)]
    assert set(res["dimensions"]) == {"tangibles", "reliability", "responsiveness", "assurance", "empathy"}
    assert res["weighted_overall"] is not None
    proc = run_process("servqual", write(tmp_path, servqual_csv(weights=False), "now.csv"))
    assert proc.returncode == 0 and json.loads(proc.stdout)["weighted_overall"] is None


def test_ipa_mean_and_midpoint(tmp_path, capsys):
    path = write(tmp_path, IPA_CSV)
    code, out, _ = run_main(capsys, "ipa", path)
    res = json.loads(out)
    assert code == 0
    assert res["crosshair"] == {"importance": 4.5, "performance": 4.75}
    first = res["attributes"][0]
    assert first == {
        "name": "speed",
        "importance": 6.5,
        "performance": 3.5,
        "quadrant": "concentrate_here",
        "competitor_performance": 5.5,
        "gap": -2.0,
    }
    proc = run_process("ipa", path, "--crosshair", "midpoint", "--scale", "7")
    assert proc.returncode == 0 and json.loads(proc.stdout)["crosshair"]["importance"] == 4.0


def test_drivers_both_methods(tmp_path, capsys):
    path = write(tmp_path, drivers_csv())
    code, out, _ = run_main(capsys, "drivers", path, "--target", "overall", "--method", "lmg")
    res = json.loads(out)
    assert code == 0 and set(res) == {"n", "r2", "drivers"}
    # "id" is numeric and so a predictor by default; "name" is text and skipped.
    assert [d["name"] for d in res["drivers"]] == ["id", "speed", "price", "courtesy"]
    assert sum(d["weight"] for d in res["drivers"]) == pytest.approx(res["r2"])
    proc = run_process("drivers", path, "--target", "overall", "--predictors", "speed,price,courtesy")
    res = json.loads(proc.stdout)
    assert proc.returncode == 0 and [d["name"] for d in res["drivers"]] == ["speed", "price", "courtesy"]
    assert sum(d["share"] for d in res["drivers"]) == pytest.approx(100.0)


def test_lifecycle_with_and_without_bass(tmp_path, capsys):
    code, out, _ = run_main(capsys, "lifecycle", write(tmp_path, lifecycle_csv()), "--from-launch")
    res = json.loads(out)
    assert code == 0 and set(res) >= {"stage", "sigma", "periods", "bass"}
    assert res["periods"][0] == {"period": "2015", "change": None, "stage": "introduction"}
    assert res["bass"]["p"] == pytest.approx(0.03, rel=1e-3)
    assert res["bass"]["m"] == pytest.approx(1000, rel=1e-3)
    proc = run_process("lifecycle", write(tmp_path, "period,demand\n2023,5\n2024,9\n", "short.csv"))
    res = json.loads(proc.stdout)
    assert proc.returncode == 0 and res["bass"] is None and res["stage"] == "growth"


def test_nps_change(tmp_path, capsys):
    path = write(tmp_path, NPS_CSV)
    code, out, _ = run_main(capsys, "nps-change", path, "--column", "score", "--wave-column", "wave")
    res = json.loads(out)
    assert code == 0
    assert {"difference", "se", "z", "p_value", "ci95"} <= set(res)
    assert (res["wave_a"], res["wave_b"]) == ("w1", "w2")
    assert res["difference"] == pytest.approx(75.0 - 25.0)
    proc = run_process("nps-change", path)
    assert proc.returncode == 0 and json.loads(proc.stdout)["difference"] == pytest.approx(50.0)


@pytest.mark.parametrize(
    ("argv", "text", "expect"),
    [
        (["nps"], NPS_CSV, "promoters"),
        (["ipa"], IPA_CSV, "quadrant"),
        (["lifecycle"], "period,demand\n1,5\n2,9\n3,9\n", "periods:"),
    ],
)
def test_table_format(tmp_path, capsys, argv, text, expect):
    code, out, _ = run_main(capsys, argv[0], write(tmp_path, text), *argv[1:], "--format", "table")
    assert code == 0 and expect in out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


# --- every kind of bad input: exit 2, one stderr line naming row and column ----------------


@pytest.mark.parametrize(
    ("argv", "text", "needles"),
    [
        (["nps", "--column", "rating"], NPS_CSV, ["row 1", "'rating'"]),  # missing column
        (["nps"], "score\n9\nten\n", ["row 3", "'score'", "not a number"]),  # non-numeric
        (["nps"], "score\n9\n11\n", ["row 3", "'score'", "outside"]),  # outside the scale
        (["nps"], "score\n9\n7.5\n", ["row 3", "'score'", "whole"]),
        (["nps"], "score,x\n9,1\n\n4,1\n,1\n", ["row 5", "'score'", "empty"]),  # an empty cell
        (["nps"], "", ["row 1", "empty"]),  # empty file
        (["nps"], "score\n", ["row 2", "'score'", "at least 1"]),  # header only
        (["csat", "--scale", "5"], "rating\n5\n6\n", ["row 3", "'rating'", "outside"]),
        (["ces"], "effort\n3\n", ["row 3", "'effort'", "at least 2"]),  # too few rows
        (["alpha"], "a,b\n1,2\n", ["row 3", "'a'", "at least 2"]),
        (["alpha", "--columns", "a,z"], "a,b\n1,2\n2,3\n", ["row 1", "'z'"]),
        (["servqual"], "E1,P1\n1,2\n", ["row 1", "'E2'"]),
        (["servqual"], servqual_csv(bad_weight_row=True), ["row 4", "W_tangibles", "100"]),
        (["ipa"], "attribute,importance,performance\nspeed,7,x\n", ["row 2", "'performance'"]),
        (["ipa", "--scale", "7"], "attribute,importance,performance\nspeed,9,1\n", ["row 2", "'importance'"]),
        (["drivers", "--target", "y"], "x,y\n1,2\n2,3\n", ["row 4", "'y'", "at least 3"]),
        (["drivers", "--target", "q"], "x,y\n1,2\n", ["row 1", "'q'"]),
        (["lifecycle"], "period,demand\n1,5\n2,-1\n", ["row 3", "'demand'"]),
        (["lifecycle"], "period,demand\n1,5\n1,6\n", ["row 3", "'period'"]),
        (["nps-change"], "score,wave\n9,a\n9,b\n9,c\n", ["row 4", "'wave'", "3 wave"]),
        (["nps"], "score\n9,1\n", ["row 2", "cells"]),
    ],
)
def test_bad_input_via_main(tmp_path, capsys, argv, text, needles):
    path = write(tmp_path, text)
    code, out, err = run_main(capsys, argv[0], path, *argv[1:])
    assert code == 2 and out == ""
    line = one_error_line(err)
    for needle in needles:
        assert needle in line, line


@pytest.mark.parametrize(
    ("argv", "needles"),
    [
        (["nps", "missing.csv"], ["missing.csv", "no such file"]),
        (["nps"], ["FILE"]),
        (["nope", "x.csv"], ["invalid choice"]),
        ([], ["METHOD"]),
        (["drivers", "x.csv", "--method", "ols", "--target", "y"], ["invalid choice"]),
    ],
)
def test_missing_file_and_usage_errors_via_main(tmp_path, capsys, argv, needles):
    argv = [str(tmp_path / a) if a.endswith(".csv") else a for a in argv]
    code, out, err = run_main(capsys, *argv)
    assert code == 2 and out == ""
    line = one_error_line(err)
    for needle in needles:
        assert needle in line


@pytest.mark.parametrize(
    ("argv", "text", "needles"),
    [
        (["nps", "--column", "score"], "score\n9\n12\n", ["row 3", "'score'"]),
        (["nps"], "", ["row 1"]),
        (["ces", "--column", "effort"], "effort\nhard\n", ["row 2", "'effort'"]),
        (["lifecycle"], "period,demand\n1,5\n", ["row 3", "'demand'"]),
    ],
)
def test_bad_input_via_subprocess(tmp_path, argv, text, needles):
    proc = run_process(argv[0], write(tmp_path, text), *argv[1:])
    assert proc.returncode == 2 and proc.stdout == ""
    line = one_error_line(proc.stderr)
    for needle in needles:
        assert needle in line


def test_missing_file_and_usage_error_via_subprocess(tmp_path):
    proc = run_process("nps", str(tmp_path / "nothing.csv"))
    assert proc.returncode == 2 and "nothing.csv" in one_error_line(proc.stderr)
    proc = run_process("nps")
    assert proc.returncode == 2 and one_error_line(proc.stderr)


def test_help_exits_zero(capsys):
    assert cli.main(["--help"]) == 0
    assert "METHOD" in capsys.readouterr().out

"""Command line for the analytics methods: ``servicecycle analyze METHOD FILE [options]``.

Reads a UTF-8 CSV (a byte-order mark is accepted) whose first row is a header,
runs one method and prints one JSON object (``--format json``, the default) or a
readable table (``--format table``). Any bad input ends with exit status 2 and a
single line on stderr that names the file, and for a data problem the row
(as numbered in the file, header = row 1) and the column.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from servicecycle.analytics.methods import MethodInputError
from servicecycle.analytics.methods.alpha import cronbach_alpha
from servicecycle.analytics.methods.ces import ces
from servicecycle.analytics.methods.csat import csat
from servicecycle.analytics.methods.drivers import key_drivers
from servicecycle.analytics.methods.ipa import ipa
from servicecycle.analytics.methods.lifecycle import lifecycle
from servicecycle.analytics.methods.nps import nps, nps_change
from servicecycle.analytics.methods.servqual import DIMENSIONS, ITEMS, servqual

PROG = "servicecycle analyze"
EXIT_BAD_INPUT = 2


class InputError(Exception):
    """Bad input; ``str(self)`` is the one line shown to the user."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line and exits 2."""

    def error(self, message: str) -> NoReturn:
        raise InputError(f"{message} (see '{self.prog} --help')")


def _where(row: int | None, column: str | None) -> str:
    parts = []
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(f"column {column!r}")
    return ", ".join(parts)


def _fail(row: int | None, column: str | None, message: str) -> NoReturn:
    where = _where(row, column)
    raise InputError(f"{where}: {message}" if where else message)


@dataclass
class Table:
    """A CSV file: header and data rows, each with its row number in the file."""

    header: list[str]
    rows: list[tuple[int, list[str]]]

    def index(self, name: str) -> int:
        try:
            return self.header.index(name)
        except ValueError:
            _fail(1, name, f"no such column in the header (columns: {', '.join(self.header)})")

    def need_rows(self, minimum: int, column: str) -> None:
        if len(self.rows) < minimum:
            found = len(self.rows)
            row = self.rows[-1][0] + 1 if self.rows else 2
            _fail(row, column, f"need at least {minimum} data row(s), found {found}")

    def cells(self, name: str) -> list[tuple[int, str]]:
        i = self.index(name)
        return [(num, cells[i].strip() if i < len(cells) else "") for num, cells in self.rows]

    def numbers(
        self,
        name: str,
        low: float | None = None,
        high: float | None = None,
        whole: bool = False,
        allow_empty: bool = False,
    ) -> list[float | None]:
        out: list[float | None] = []
        for num, text in self.cells(name):
            if text == "":
                if allow_empty:
                    out.append(None)
                    continue
                _fail(num, name, "empty cell; a number is needed")
            value = _parse_number(text)
            if value is None:
                _fail(num, name, f"{text!r} is not a number")
            if whole and not value.is_integer():
                _fail(num, name, f"{text!r} is not a whole number")
            if (low is not None and value < low) or (high is not None and value > high):
                if high == math.inf:
                    _fail(num, name, f"{text} is below the minimum {low:g}")
                _fail(num, name, f"{text} is outside the scale {low:g}..{high:g}")
            out.append(value)
        return out

    def required_numbers(self, name: str, **kw: Any) -> list[float]:
        return [v for v in self.numbers(name, **kw) if v is not None]


def _parse_number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_table(path: str) -> Table:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            records = list(csv.reader(handle))
    except FileNotFoundError:
        raise InputError("no such file") from None
    except IsADirectoryError:
        raise InputError("is a directory, not a CSV file") from None
    except PermissionError:
        raise InputError("permission denied") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})") from None
    except csv.Error as exc:
        raise InputError(f"not a readable CSV file ({exc})") from None
    if not records or not any(cell.strip() for cell in records[0]):
        _fail(1, None, "the file is empty; a header row is needed")
    header = [cell.strip() for cell in records[0]]
    seen: set[str] = set()
    for name in header:
        if name in seen:
            _fail(1, name, "the header names this column twice")
        seen.add(name)
    rows = [(i + 1, rec) for i, rec in enumerate(records) if i > 0 and any(c.strip() for c in rec)]
    for num, rec in rows:
        if len(rec) > len(header):
            _fail(num, None, f"{len(rec)} cells but the header has {len(header)} columns")
    return Table(header, rows)


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise InputError("the column list is empty")
    return names


# --- methods --------------------------------------------------------------------------


def run_nps(t: Table, a: argparse.Namespace) -> dict[str, Any]:
    scores = [int(v) for v in t.required_numbers(a.column, low=0, high=10, whole=True)]
    t.need_rows(1, a.column)
    r = nps(scores)
    return {
        "n": r.n,
        "promoters": r.promoters,
        "passives": r.passives,
        "detractors": r.detractors,
        "nps": r.nps,
        "se": r.se,
        "ci95": list(r.ci95),
    }


def run_csat(t: Table, a: argparse.Namespace) -> dict[str, Any]:
    if a.scale < 3:
        raise InputError("--scale must be at least 3 for a top-two-box score")
    ratings = [int(v) for v in t.required_numbers(a.column, low=1, high=a.scale, whole=True)]
    t.need_rows(1, a.column)
    r = csat(ratings, scale=a.scale)
    return {"n": r.n, "csat": r.csat}


def run_ces(t: Table, a: argparse.Namespace) -> dict[str, Any]:
    if a.scale < 2:
        raise InputError("--scale must be at least 2")
    scores = [int(v) for v in t.required_numbers(a.column, low=1, high=a.scale, whole=True)]
    t.need_rows(2, a.column)
    r = ces(scores, scale=a.scale)
    return {"n": r.n, "ces": r.mean, "sd": r.sd, "ci95": list(r.ci95)}


def run_alpha(t: Table, a: argparse.Namespace) -> dict[str, Any]:
    columns = _names(a.columns) or t.header
    if len(columns) < 2:
        _fail(1, columns[0], "alpha needs at least 2 item columns")
    values = [t.numbers(c, allow_empty=True) for c in columns]
    matrix = [[math.nan if v is None else v for v in row] for row in zip(*values, strict=True)]
    complete = sum(1 for row in matrix if not any(math.isnan(v) for v in row))
    if complete < 2:
        row = t.rows[-1][0] + 1 if t.rows else 2
        _fail(row, columns[0], f"alpha needs at least 2 rows with every item answered, found {complete}")
    r = cronbach_alpha(matrix)
    return {"n": r.n, "k": r.k, "alpha": r.alpha, "ci95": list(r.ci95)}


WEIGHT_COLUMNS = [f"W_{name}" for name in DIMENSIONS]


def run_servqual(t: Table, a: argparse.Namespace) -> dict[str, Any]:
    e_cols = [f"E{i}" for i in range(1, ITEMS + 1)]
    p_cols = [f"P{i}" for i in range(1, ITEMS + 1)]
    for name in e_cols + p_cols:
        t.index(name)
    e = list(zip(*(t.required_numbers(c, low=1, high=7) for c in e_cols), strict=True))
    p = list(zip(*(t.required_numbers(c, low=1, high=7) for c in p_cols), strict=True))
    t.need_rows(1, "E1")
    present = [c for c in WEIGHT_COLUMNS if c in t.header]
    weights = None
    if present:
        for name in WEIGHT_COLUMNS:
            t.index(name)
        weights = list(zip(*(t.required_numbers(c, low=0, high=100) for c in WEIGHT_COLUMNS), strict=True))
        for (num, _), row in zip(t.rows, weights, strict=True):
            if not math.isclose(sum(row), 100.0, abs_tol=1e-6):
                _fail(num, f"{WEIGHT_COLUMNS[0]}..{WEIGHT_COLUMNS[-1]}", f"points sum to {sum(row):g}, not 100")
    r = servqual(e, p, weights)
    return {
        "n": r.n,
        "items": {str(i + 1): g for i, g in enumerate(r.items)},
        "dimensions": r.dimensions,
        "overall": r.overall,
        "weighted_overall": r.weighted_overall,
    }


def run_ipa(t: Table, a: argparse.Namespace) -> dict[str, Any]:
    for name in ("attribute", "importance", "performance"):
        t.index(name)
    if a.crosshair == "midpoint" and a.scale is None:
        raise InputError("--crosshair midpoint needs --scale (e.g. --scale 7)")
    hi = a.scale
    lo = 1 if hi is not None else None
    names = t.cells("attribute")
    for num, text in names:
        if not text:
            _fail(num, "attribute", "empty cell; an attribute name is needed")
    competitor = None
    if "competitor_performance" in t.header:
        competitor = t.numbers("competitor_performance", low=lo, high=hi, allow_empty=True)
    importance = t.required_numbers("importance", low=lo, high=hi)
    performance = t.required_numbers("performance", low=lo, high=hi)
    t.need_rows(1, "attribute")
    r = ipa(
        [text for _, text in names],
        importance,
        performance,
        competitor,
        crosshair=a.crosshair,
        scale=a.scale,
    )
    return {
        "crosshair": {"importance": r.crosshair_importance, "performance": r.crosshair_performance},
        "attributes": [
            {
                "name": x.name,
                "importance": x.importance,
                "performance": x.performance,
                "quadrant": x.quadrant,
                "competitor_performance": x.competitor_performance,
                "gap": x.gap,
            }
            for x in r.attributes
        ],
    }


def _is_numeric_column(t: Table, name: str) -> bool:
    texts = [text for _, text in t.cells(name) if text]
    return bool(texts) and all(_parse_number(text) is not None for text in texts)


def run_drivers(t: Table, a: argparse.Namespace) -> dict[str, Any]:
    t.index(a.target)
    predictors = _names(a.predictors)
    if predictors is None:
        predictors = [c for c in t.header if c != a.target and _is_numeric_column(t, c)]
        if not predictors:
            _fail(1, None, f"no numeric predictor columns besides the target {a.target!r}")
    elif a.target in predictors:
        _fail(1, a.target, "the target cannot also be a predictor")
    for name in predictors:
        t.index(name)
    y = t.numbers(a.target, allow_empty=True)
    xs = [t.numbers(c, allow_empty=True) for c in predictors]
    t.need_rows(len(predictors) + 2, a.target)
    nan = math.nan
    x_rows = [[nan if v is None else v for v in row] for row in zip(*xs, strict=True)]
    r = key_drivers(x_rows, [nan if v is None else v for v in y], predictors, method=a.method)
    return {
        "n": r.n,
        "r2": r.r2,
        "drivers": [{"name": d.name, "weight": d.weight, "share": d.share} for d in r.drivers],
    }


def run_lifecycle(t: Table, a: argparse.Namespace) -> dict[str, Any]:
    t.index("period")
    t.index("demand")
    periods = t.cells("period")
    seen: dict[str, int] = {}
    for num, text in periods:
        if not text:
            _fail(num, "period", "empty cell; a period label is needed")
        if text in seen:
            _fail(num, "period", f"{text!r} already appears in row {seen[text]}")
        seen[text] = num
    demand = t.required_numbers("demand", low=0, high=math.inf)
    t.need_rows(2, "demand")
    r = lifecycle([text for _, text in periods], demand, from_launch=a.from_launch)
    bass = None
    if r.bass is not None:
        bass = {"p": r.bass.p, "q": r.bass.q, "m": r.bass.m, "peak": r.bass.peak}
    return {
        "stage": r.stage,
        "sigma": r.sigma,
        "periods": [{"period": x.period, "change": x.change, "stage": x.stage} for x in r.periods],
        "bass": bass,
        "bass_reason": r.bass_reason,
    }


def run_nps_change(t: Table, a: argparse.Namespace) -> dict[str, Any]:
    t.index(a.wave_column)
    scores = t.required_numbers(a.column, low=0, high=10, whole=True)
    t.need_rows(2, a.column)
    waves: dict[str, list[int]] = {}
    for (num, label), score in zip(t.cells(a.wave_column), scores, strict=True):
        if not label:
            _fail(num, a.wave_column, "empty cell; a wave label is needed")
        waves.setdefault(label, []).append(int(score))
    if len(waves) != 2:
        last = t.rows[-1][0]
        _fail(last, a.wave_column, f"found {len(waves)} wave(s) ({', '.join(waves)}); exactly 2 are compared")
    (label_a, scores_a), (label_b, scores_b) = waves.items()
    r = nps_change(scores_a, scores_b)
    return {
        "wave_a": label_a,
        "wave_b": label_b,
        "nps_a": r.nps_a,
        "nps_b": r.nps_b,
        "difference": r.difference,
        "se": r.se,
        "z": r.z,
        "p_value": r.p_value,
        "ci95": list(r.ci95),
    }


# --- output ---------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, list) and all(isinstance(v, int | float) for v in value):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return str(value)


def render_table(result: dict[str, Any]) -> str:
    """Plain-text rendering: key/value lines, then one aligned table per list of rows."""
    pairs: list[tuple[str, str]] = []
    blocks: list[str] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            cols = list(value[0])
            grid = [cols] + [[_fmt(row.get(c)) for c in cols] for row in value]
            widths = [max(len(r[i]) for r in grid) for i in range(len(cols))]
            lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in grid]
            lines.insert(1, "  ".join("-" * w for w in widths))
            blocks.append(f"{prefix}:\n" + "\n".join(lines))
        else:
            pairs.append((prefix, _fmt(value)))

    walk("", result)
    width = max((len(k) for k, _ in pairs), default=0)
    head = "\n".join(f"{k.ljust(width)}  {v}" for k, v in pairs)
    return "\n\n".join(part for part in [head, *blocks] if part)


# --- parser ---------------------------------------------------------------------------

Runner = Callable[[Table, argparse.Namespace], dict[str, Any]]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Run a survey or strategy method on a CSV file.")
    sub = parser.add_subparsers(dest="method", required=True, metavar="METHOD", parser_class=_Parser)

    def add(name: str, runner: Runner, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("file", metavar="FILE", help="UTF-8 CSV file with a header row")
        p.add_argument("--format", choices=("json", "table"), default="json", help="output format (json)")
        p.set_defaults(runner=runner)
        return p

    p = add("nps", run_nps, "Net Promoter Score of 0-10 answers")
    p.add_argument("--column", default="score", help="column with the 0-10 scores (score)")
    p = add("csat", run_csat, "CSAT: %% of answers in the top two boxes")
    p.add_argument("--column", default="rating", help="column with the ratings (rating)")
    p.add_argument("--scale", type=int, default=5, help="points on the rating scale, 1..N (5)")
    p = add("ces", run_ces, "Customer Effort Score: mean effort with a t interval")
    p.add_argument("--column", default="effort", help="column with the effort scores (effort)")
    p.add_argument("--scale", type=int, default=7, help="points on the effort scale, 1..N (7)")
    p = add("alpha", run_alpha, "Cronbach's alpha of item columns")
    p.add_argument("--columns", help="comma-separated item columns (default: all columns)")
    add("servqual", run_servqual, "SERVQUAL gaps from E1..E22, P1..P22 and optional W_* columns")
    p = add("ipa", run_ipa, "importance-performance analysis of long-format answers")
    p.add_argument("--crosshair", choices=("mean", "midpoint"), default="mean", help="crosshair position")
    p.add_argument("--scale", type=int, help="points on the answer scale, 1..N (for midpoint and checks)")
    p = add("drivers", run_drivers, "key-driver analysis (share of R^2 per predictor)")
    p.add_argument("--target", required=True, help="column to explain, e.g. overall satisfaction")
    p.add_argument("--method", choices=("relative_weights", "lmg"), default="relative_weights")
    p.add_argument("--predictors", help="comma-separated predictor columns (default: other numeric columns)")
    p = add("lifecycle", run_lifecycle, "life-cycle stage (Polli & Cook) and Bass fit of period,demand")
    p.add_argument("--from-launch", action="store_true", help="the first period is the launch")
    p = add("nps-change", run_nps_change, "test whether NPS changed between two waves")
    p.add_argument("--column", default="score", help="column with the 0-10 scores (score)")
    p.add_argument("--wave-column", default="wave", help="column naming the wave (wave)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``METHOD FILE [options]``; 0 on success, 2 on bad input."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    file_label = ""
    try:
        try:
            args = parser.parse_args(args_list)
        except SystemExit as exc:  # --help
            return int(exc.code or 0)
        file_label = f"{args.file}: "
        result = args.runner(read_table(args.file), args)
    except InputError as exc:
        return _report(f"{file_label}{exc}")
    except MethodInputError as exc:
        return _report(f"{file_label}{exc}")
    if args.format == "table":
        print(render_table(result))
    else:
        print(json.dumps(result, indent=2, allow_nan=False))
    return 0


def _report(message: str) -> int:
    line = " ".join(message.split())
    print(f"{PROG}: error: {line}", file=sys.stderr)
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())

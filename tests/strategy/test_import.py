from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from servicecycle.core.errors import ValidationFailed
from servicecycle.strategy import actions
from servicecycle.strategy.models import DemandPeriod
from tests.factories import World


def _import(w: World, path: Path) -> actions.HistorySaved:
    return actions.import_demand_file(
        acting_user=w.manager.user, service=w.service, filename=path.name, content=path.read_bytes()
    )


def _stored(w: World) -> list[tuple[str, Decimal, str]]:
    return list(
        DemandPeriod.objects.filter(service=w.service).order_by("position").values_list("period", "demand", "source")
    )


def test_csv_with_a_bom_is_imported(world: World, tmp_path: Path) -> None:
    path = tmp_path / "demand.csv"
    path.write_bytes("\ufeffPeriod,Demand\n2021,100\n2022,180\n\n2023,260.5\n".encode())
    saved = _import(world, path)
    assert saved.periods == 3
    assert _stored(world) == [
        ("2021", Decimal("100.00"), "imported"),
        ("2022", Decimal("180.00"), "imported"),
        ("2023", Decimal("260.50"), "imported"),
    ]


def test_csv_with_semicolons_is_imported(world: World, tmp_path: Path) -> None:
    path = tmp_path / "demand.csv"
    path.write_text("period;demand\n2024-Q1;10\n2024-Q2;12\n", encoding="utf-8")
    assert _import(world, path).periods == 2


def test_csv_errors_name_the_files_own_rows_and_nothing_is_saved(world: World, tmp_path: Path) -> None:
    path = tmp_path / "demand.csv"
    # row 1 is the header, row 4 is blank, row 5 has a negative demand, row 6 a period out of order
    path.write_text("period,demand\n2021,100\n2022,180\n\n2023,-5\n2020,40\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        _import(world, path)
    assert caught.value.errors["rows"] == [
        "row 5, demand: must not be negative",
        "row 6, period: 2020 comes before 2023 in row 5: list periods in time order",
    ]
    assert not DemandPeriod.objects.exists()


def test_csv_in_another_encoding_is_refused_with_one_clear_line(world: World, tmp_path: Path) -> None:
    path = tmp_path / "demand.csv"
    path.write_bytes("period,demand\n2021,100\n2022,150 заказов\n".encode("cp1251"))
    with pytest.raises(ValidationFailed) as caught:
        _import(world, path)
    assert caught.value.errors == {"file": ["The file is not UTF-8 text: save it as CSV UTF-8 and upload it again."]}


def test_file_without_a_demand_column_is_refused(world: World, tmp_path: Path) -> None:
    path = tmp_path / "demand.csv"
    path.write_text("period,orders\n2021,100\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        _import(world, path)
    assert caught.value.errors == {
        "file": ["The file has no demand column: its first row must name the columns period and demand."]
    }


def test_other_file_types_are_refused(world: World, tmp_path: Path) -> None:
    path = tmp_path / "demand.txt"
    path.write_text("period,demand\n2021,100\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        _import(world, path)
    assert caught.value.errors == {"file": ["Upload a .csv or .xlsx file."]}


def test_xlsx_is_imported_with_the_files_row_numbers(world: World, tmp_path: Path) -> None:
    import polars as pl

    path = tmp_path / "demand.xlsx"
    pl.DataFrame({"period": ["2021", "2022", "2023"], "demand": [100.0, -3.0, 200.0]}).write_excel(path)
    with pytest.raises(ValidationFailed) as caught:
        _import(world, path)
    assert caught.value.errors["rows"] == ["row 3, demand: must not be negative"]
    pl.DataFrame({"period": ["2021", "2022", "2023"], "demand": [100.0, 150.0, 200.0]}).write_excel(path)
    assert _import(world, path).periods == 3


def test_a_file_that_is_not_a_workbook_says_so_and_saves_nothing(world: World, tmp_path: Path) -> None:
    path = tmp_path / "demand.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(ValidationFailed) as caught:
        _import(world, path)
    assert caught.value.errors == {"file": ["The file cannot be read as an XLSX workbook."]}
    assert not DemandPeriod.objects.exists()

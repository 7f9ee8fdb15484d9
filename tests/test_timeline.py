"""Timeline: matching articles per period, empty periods as zero, filters, and the terminal chart."""

from __future__ import annotations

import json

import pytest

from newsearch import QuerySyntaxError
from newsearch.cli import CHART_WIDTH, cli

from conftest import index_holding

DATES = ["2021-12-31", "2022-01-03", "2022-01-05", "2022-01-20", "2022-03-02"]


@pytest.fixture
def dated(tmp_path):
    records = [{"id": f"ferry-{number}", "title": f"Ferry news {number}", "body": f"The ferry sailed on {day}.",
                "published": day, "source": "Wire" if number % 2 else "Courier"}
               for number, day in enumerate(DATES)]
    records.append({"id": "ferry-undated", "title": "Ferry news", "body": "A ferry, some day."})
    records.append({"id": "bridge", "title": "Bridge", "body": "The bridge opened.", "published": "2022-02-01"})
    with index_holding(tmp_path / "ix", records) as ix:
        yield ix


def test_weeks_run_from_the_first_match_to_the_last_with_empty_weeks_as_zero(dated):
    chart = dated.timeline("ferry", by="week")
    assert chart.periods[:4] == (("2021-W52", 1), ("2022-W01", 2), ("2022-W02", 0), ("2022-W03", 1))
    assert chart.periods[-1] == ("2022-W09", 1) and len(chart.periods) == 10
    assert sum(count for _, count in chart.periods) == 5
    assert chart.total == 6 and chart.undated == 1 and chart.counts == "documents"


def test_days_months_and_years(dated):
    days = dated.timeline("ferry", by="day").periods
    assert days[0] == ("2021-12-31", 1) and days[-1] == ("2022-03-02", 1) and len(days) == 62
    assert dict(days)["2022-01-04"] == 0
    assert dated.timeline("ferry", by="month").periods == (
        ("2021-12", 1), ("2022-01", 3), ("2022-02", 0), ("2022-03", 1))
    assert dated.timeline("ferry", by="year").periods == (("2021", 1), ("2022", 4))


def test_filters_apply_as_in_query(dated):
    assert dated.timeline("ferry", by="month", since="2022-01-04").periods == (
        ("2022-01", 2), ("2022-02", 0), ("2022-03", 1))
    assert sum(count for _, count in dated.timeline("ferry", by="year", source="Wire").periods) == 2
    assert dated.timeline("ferry OR bridge", by="month").periods[2] == ("2022-02", 1)


def test_no_dated_match_gives_no_periods(dated):
    chart = dated.timeline("zeppelin", by="week")
    assert chart.periods == () and chart.total == 0


def test_bad_options_are_query_errors(dated):
    with pytest.raises(QuerySyntaxError, match="by must be one of"):
        dated.timeline("ferry", by="fortnight")
    with pytest.raises(QuerySyntaxError):
        dated.timeline('"ferry', by="week")


def test_cli_draws_bars_that_fit_80_columns(dated, runner):
    result = runner.invoke(cli, ["timeline", "ferry", "--by", "week", "--index", str(dated.folder)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(len(line) <= CHART_WIDTH for line in lines)
    bars = {line.split()[0]: line for line in lines[:-1]}
    assert bars["2022-W01"].endswith(" 2") and "█" * 60 in bars["2022-W01"]
    assert bars["2022-W03"].count("█") == bars["2022-W01"].count("█") // 2
    assert bars["2022-W02"].split() == ["2022-W02", "0"]  # one empty week keeps its row
    assert "⋮        5 empty weeks, 2022-W04 to 2022-W08" in lines and "2022-W05" not in bars
    assert lines[-1] == "6 matching articles (every copy counted), 1 undated; busiest week: 2022-W01."


def test_long_runs_of_empty_periods_fold_into_one_row(dated):
    days = dated.timeline("ferry", by="day")
    assert days.folded() == (
        ("2021-12-31", "2021-12-31", 1, 1), ("2022-01-01", "2022-01-01", 0, 1), ("2022-01-02", "2022-01-02", 0, 1),
        ("2022-01-03", "2022-01-03", 1, 1), ("2022-01-04", "2022-01-04", 0, 1), ("2022-01-05", "2022-01-05", 1, 1),
        ("2022-01-06", "2022-01-19", 0, 14), ("2022-01-20", "2022-01-20", 1, 1), ("2022-01-21", "2022-03-01", 0, 40),
        ("2022-03-02", "2022-03-02", 1, 1))
    rows = days.folded()
    assert sum(row[3] for row in rows) == len(days.periods) == 62
    assert len(days.folded(run=100)) == 62


def test_cli_json(dated, runner):
    result = runner.invoke(cli, ["timeline", "ferry", "--by", "month", "--json", "--index", str(dated.folder)])
    data = json.loads(result.output)
    assert data["by"] == "month" and data["counts"] == "documents" and data["total"] == 6
    assert data["periods"][1] == {"period": "2022-01", "count": 3}
    lines = runner.invoke(cli, ["timeline", "ferry", "--by", "month", "--jsonl", "--index", str(dated.folder)])
    assert [json.loads(line) for line in lines.output.splitlines()] == data["periods"]

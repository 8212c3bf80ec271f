"""Scenario files: invalid ones are refused naming the file, the variant and the key (CLI exit
2, no traceback); changes are applied as documented."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from routing.cli.flags import EXIT_OK, EXIT_USAGE
from routing.cli.main import main
from routing.plan.executor import SerialExecutor
from routing.whatif.apply import apply_demand, customs_rows, prepare
from routing.whatif.runner import run_scenario
from routing.whatif.scenario import CustomsChange, Demand, ScenarioError, load_scenario
from tests.routing.whatif.conftest import write

HEAD = """
format_version = 1
[base]
generate = { returns = 50, seed = 1, start = 2026-11-02 }
"""


def _error(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        run_scenario(path, executor=SerialExecutor())
    return info.value


@pytest.mark.parametrize(
    ("variant", "key", "reason"),
    [
        (
            'name = "ghost"\n[[variant.resize]]\nfacility = "hub_nowhere"\ncapacity_pct = 10',
            "resize[0].facility",
            "unknown facility 'hub_nowhere'",
        ),
        (
            'name = "ghost"\nremove_facilities = ["hub_nowhere"]',
            "remove_facilities[0]",
            "unknown facility 'hub_nowhere'",
        ),
        (
            'name = "cheap"\n[[variant.rates]]\ncarrier = "DPD"\npct = -150',
            "rates[0].pct",
            "> -100",
        ),
        (
            'name = "cheap"\n[[variant.rates]]\nlane = "venlo_hamburg_road"\n'
            'add_minor = -100000\ncurrency = "EUR"',
            "rates[0]",
            "negative",
        ),
        (
            'name = "later"\n[[variant.customs]]\ntable = "de_minimis"\nfrom = "2026-02-30"\n'
            '[variant.customs.row]\nregime = "EU"\nlegal_basis = "x"\nsources = ["S18"]\n'
            'confidence = "low"',
            "customs[0].from",
            "not a valid date",
        ),
        (
            'name = "nosource"\n[[variant.customs]]\ntable = "de_minimis"\nfrom = 2026-12-01\n'
            '[variant.customs.row]\nregime = "EU"\nlegal_basis = "x"\nsources = ["NOPE"]\n'
            'confidence = "low"',
            "customs[0].row.sources",
            "unknown source id",
        ),
        (
            'name = "newhub"\n[variant.add_facilities.hub_x]\nname = "X"\nkind = "hub"\n'
            'country = "XX"\nlat = 1.0\nlon = 1.0\ncapacity_units_per_day = 1\n'
            'handling_per_parcel_minor = 1\nhandling_per_unit_minor = 0\ncurrency = "EUR"\n'
            'processing_days = 1\ndispositions = ["liquidate"]',
            "add_facilities.hub_x.country",
            "unknown country",
        ),
    ],
)
def test_invalid_change_names_file_variant_and_key(
    tmp_path: Path, variant: str, key: str, reason: str
) -> None:
    """Each bad change is one error line: file, variant name, the key, the reason."""
    path = write(tmp_path, HEAD + "[[variant]]\n" + variant + "\n")
    err = _error(path)
    name = variant.split('"')[1]
    lines = [line for line in err.lines() if f"variant {name!r}: {key}" in line]
    assert lines, err.lines()
    assert lines[0].startswith("bad.toml: ")
    assert reason in lines[0]


def test_toml_syntax_error_names_the_variant_and_line(tmp_path: Path) -> None:
    """A bad date literal (Feb 30) fails TOML parsing: the error still names the variant."""
    text = HEAD + '[[variant]]\nname = "later"\n[[variant.customs]]\nfrom = 2026-02-30\n'
    err = _error(write(tmp_path, text))
    assert "variant 'later'" in str(err)
    assert "line 8" in str(err)


def test_unknown_key_suggests_the_closest(tmp_path: Path) -> None:
    """A typo is never ignored: the key is named with a suggestion."""
    text = HEAD + '[[variant]]\nname = "typo"\n[[variant.resize]]\nfacilty = "hub_nl_venlo"\n'
    err = _error(write(tmp_path, text))
    assert "variant 'typo': resize[0].facilty: unknown key (did you mean 'facility'?)" in str(err)


def test_cli_exit_2_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`reroute whatif` on an invalid file exits 2 and prints only the error lines."""
    path = write(tmp_path, HEAD + '[[variant]]\nname = "v"\nremove_facilities = ["nope"]\n')
    code = main(["whatif", str(path), "--out", str(tmp_path / "out"), "--workers", "1"])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert "error: bad.toml: variant 'v': remove_facilities[0]: unknown facility 'nope'" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_cli_runs_variants_in_parallel_and_writes_the_report(
    small_scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two worker processes, a progress bar, then report.html, report.json and the CSVs."""
    out = tmp_path / "out"
    code = main(["whatif", str(small_scenario), "--out", str(out), "--workers", "2"])
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    assert "3/3 variants" in captured.err
    for name in ("report.html", "report.json", "kpis.csv", "terms.csv", "flows.csv"):
        assert (out / name).stat().st_size > 0
    assert "venlo_small: optimized" in captured.out


def test_customs_change_ends_rows_of_its_key_the_day_before() -> None:
    """An EU de minimis row from 2026-11-15 ends the row then in force on 2026-11-14 and
    supersedes the later one; other regimes are untouched."""
    change = CustomsChange(
        "de_minimis", date(2026, 11, 15), {"regime": "EU", "legal_basis": "x", "sources": ["S18"]}
    )
    rows = customs_rows([("v", 0, change)])["de_minimis.toml"]
    eu = {r["id"]: r for r in rows if r["regime"] == "EU"}
    assert eu["de_minimis.EU.2026"]["effective_to"] == date(2026, 11, 14)
    assert "de_minimis.EU.2028" not in eu
    assert eu["whatif.v.de_minimis.0"]["effective_from"] == date(2026, 11, 15)
    assert any(r["regime"] == "US" for r in rows)


def test_rate_change_scales_the_carriers_cards(small_scenario: Path) -> None:
    """+12 % on DHL Express: each price of its card rises by 12 % (rounded half up); the base
    keeps the list prices."""
    scenario = load_scenario(small_scenario)
    base = prepare(scenario, "base", with_batch=False).network
    dearer = prepare(scenario, "dhl_up", with_batch=False).network
    before = base.rate_cards["dhl_express_us_2026"].prices_minor
    after = dearer.rate_cards["dhl_express_us_2026"].prices_minor
    for row_b, row_a in zip(before, after, strict=True):
        for b, a in zip(row_b, row_a, strict=True):
            assert a == int(
                (Decimal(b) * Decimal("1.12")).to_integral_value(rounding="ROUND_HALF_UP")
            )
    assert base.rate_cards["dpd_classic_de"] == dearer.rate_cards["dpd_classic_de"]


def test_demand_resampling_is_seeded(small_scenario: Path) -> None:
    """A country factor of 2 doubles its returns; 0 drops them; the same seed, the same batch."""
    scenario = load_scenario(small_scenario)
    inputs = prepare(scenario, "base")
    from routing.whatif.apply import _Problems

    d = Demand(country_factors={"FR": Decimal(2), "CN": Decimal(0)}, seed=4)
    one = apply_demand(inputs.batch, d, inputs.network, _Problems("f", "v"), "demand")
    two = apply_demand(inputs.batch, d, inputs.network, _Problems("f", "v"), "demand")
    assert one == two
    fr = sum(1 for _, r in inputs.batch if r.customer_country == "FR")
    assert sum(1 for _, r in one if r.customer_country == "FR") == 2 * fr
    assert not any(r.customer_country == "CN" for _, r in one)
    assert len({rid for rid, _ in one}) == len(one)

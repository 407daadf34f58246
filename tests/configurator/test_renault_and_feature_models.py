"""Third-party models through the same engine: Renault Megane (XCSP 2.1) and DIMACS."""

import random

import pytest

from configurator.errors import ModelError
from configurator.importers.dimacs import load_dimacs
from configurator.importers.xcsp import load_xcsp
from configurator.session import Configurator
from tests.conftest import SHARED, UNDER_CI

BENCH = SHARED / "benchmarks/configuration"
RENAULT = BENCH / "renault-megane"
FMB = BENCH / "feature-models/softvare-fmb/dimacs"
# Outside CI a checkout without shared/ skips these; in CI their absence is a failure.
needs_data = pytest.mark.skipif(
    not BENCH.exists() and not UNDER_CI, reason="benchmark models not present"
)


@pytest.fixture(scope="module")
def renault() -> Configurator:
    model = load_xcsp(RENAULT / "xcsp2/megane.xml", RENAULT / "value_names.txt")
    return Configurator(model, engine="bdd")


@needs_data
def test_renault_megane_loads_with_all_its_tables():
    model = load_xcsp(RENAULT / "xcsp2/megane.xml", RENAULT / "value_names.txt")
    assert len(model.features) == 99
    assert sum(len(f.options) for f in model.features) == 396
    assert len(model.constraints) == 113
    assert sum(len(c.rows) for c in model.constraints) == 194_723
    assert model.feature("Var4").domain == ("DIESEL", "ESS")


@needs_data
@pytest.mark.slow
def test_renault_has_exactly_the_published_number_of_configurations(renault):
    state = renault.configure({}, explain=False)
    assert state.completions == 2_835_456_006_272
    assert sum(len(f.available) for f in state.features) == 392


@needs_data
@pytest.mark.slow
def test_renault_domains_agree_with_sat_on_random_states(renault):
    sat = Configurator(renault.model, engine="sat")
    rng = random.Random(7)
    for _ in range(12):
        choices: dict[str, object] = {}
        for _ in range(rng.randint(1, 12)):
            state = renault.configure(choices, explain=False, price=False)
            open_features = [f for f in state.features if f.chosen is None and f.available]
            feature = rng.choice(open_features)
            choices[feature.name] = rng.choice(feature.available)
        bdd_state = renault.configure(choices, explain=False, price=False)
        sat_state = sat.configure(choices, explain=False, price=False)
        assert [f.available for f in bdd_state.features] == [
            f.available for f in sat_state.features
        ]
        assert renault.complete(choices) is not None


@needs_data
@pytest.mark.slow
def test_renault_explanations_are_minimal(renault):
    rng = random.Random(3)
    choices: dict[str, object] = {}
    for _ in range(8):
        state = renault.configure(choices, explain=False, price=False)
        feature = rng.choice([f for f in state.features if f.chosen is None and f.available])
        choices[feature.name] = rng.choice(feature.available)
    state = renault.configure(choices, explain=False, price=False)
    blocked = [(f.name, v) for f in state.features for v in f.unavailable]
    for name, value in rng.sample(blocked, min(10, len(blocked))):
        why = renault.explain(choices, name, value)
        assert not renault.engine.consistent({**dict(why.blocking), name: value})
        for dropped in why.blocking:
            fewer = {k: v for k, v in why.blocking if (k, v) != dropped}
            assert renault.engine.consistent({**fewer, name: value})
        assert why.rules, "the rules involved are named"


@needs_data
@pytest.mark.parametrize(
    ("path", "count"),
    [
        ("e_commerce/e_shop/Lau2006.dimacs", 247_496_437_923_840),
        ("database/berkeleydb/Hierons2020.dimacs", 32),
    ],
)
def test_dimacs_feature_models_count_exactly(path, count):
    configurator = Configurator(load_dimacs(FMB / path), use_cache=False)
    assert configurator.configure({}, explain=False).completions == count


@needs_data
def test_dimacs_features_keep_their_names_as_labels():
    model = load_dimacs(FMB / "database/berkeleydb/Hierons2020.dimacs")
    assert all(f.label.en and f.type.value == "boolean" for f in model.features)


def test_bad_dimacs_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.dimacs"
    bad.write_text("c 1 a\np cnf 1 1\n1 x 0\n")
    with pytest.raises(ModelError) as caught:
        load_dimacs(bad)
    assert (caught.value.line, caught.value.token) == (3, "x")


def test_bad_xcsp_is_a_model_error(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<instance><domains>\n<domain name='D0'>0..x</domain></domains></instance>")
    with pytest.raises(ModelError, match="bad domain value"):
        load_xcsp(bad)

"""Operators by name: every module's ``get`` finds its ``NAMES`` and refuses others in one line."""

import pytest

from evo import crossover, mutation, selection, strategies
from evo.operators.registry import lookup


@pytest.mark.parametrize("module, unknown, known", [(selection, "best", "tournament"),
                                                    (crossover, "pmx", "uniform"),
                                                    (mutation, "flip", "gaussian")])
def test_get_finds_every_named_operator_and_lists_the_names_for_an_unknown_one(module, unknown, known):
    kind = module.__name__.rsplit(".", 1)[1]
    for name in module.NAMES:
        assert module.get(name) is getattr(module, name)
    with pytest.raises(ValueError, match=rf"^unknown {kind} '{unknown}'; known: .*{known}"):
        module.get(unknown)
    assert "NAMES" in module.get.__doc__ and kind in module.get.__doc__


@pytest.mark.parametrize("name", [None, ["tournament"], 3])
def test_a_name_that_is_not_a_string_is_unknown_too(name):
    with pytest.raises(ValueError, match="unknown selection"):
        selection.get(name)


def test_lookup_names_the_kind_and_keeps_the_table_order():
    assert lookup({"b": 2, "a": 1}, "a", "thing") == 1
    with pytest.raises(ValueError, match="^unknown thing 'c'; known: b, a$"):
        lookup({"b": 2, "a": 1}, "c", "thing")
    with pytest.raises(ValueError, match="^unknown strategy 'annealing'; known: cmaes, "):
        strategies.make("annealing", 4)


@pytest.mark.parametrize("module", [selection, crossover, mutation])
def test_every_operator_documents_its_parameters_and_result_in_full(module):
    for name in module.NAMES:
        doc = module.get(name).__doc__
        assert "$" not in doc, name  # every shared section filled in
        assert "\n    Parameters\n    ----------\n" in doc and "\n    Returns\n    -------\n" in doc, name
        assert "    rng : numpy.random.Generator\n        Source of randomness.\n" in doc, name

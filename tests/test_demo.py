"""`make demo` builds its project from the repository's sample data."""

from workbench.services.demo import DEMO_INPUTS, SAMPLE_DATA


def test_the_demo_finds_its_sample_data_wherever_its_module_lives():
    # The demo module moved once and silently pointed one folder too high; `make demo` then failed.
    assert SAMPLE_DATA.name == "sample_data" and (SAMPLE_DATA.parent / "pyproject.toml").is_file()
    assert DEMO_INPUTS and all(p.is_file() for p in DEMO_INPUTS)

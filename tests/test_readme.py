"""The README's example output is what the bundled model really prints."""

from __future__ import annotations

from conftest import load_script


def test_readme_example_output_is_current() -> None:
    module = load_script("scripts/update_readme.py")
    readme = module.README.read_text(encoding="utf-8")
    assert module.render(readme) == readme, "run `python scripts/update_readme.py`"
    assert "| said |" in readme or "| told reporters |" in readme

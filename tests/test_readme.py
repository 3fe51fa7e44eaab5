"""The README's example output is what the bundled model really prints."""

from __future__ import annotations

import importlib.util

from conftest import REPO


def test_readme_example_output_is_current() -> None:
    script = REPO / "scripts" / "update_readme.py"
    spec = importlib.util.spec_from_file_location("update_readme", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    readme = module.README.read_text(encoding="utf-8")
    assert module.render(readme) == readme, "run `python scripts/update_readme.py`"
    assert "| said |" in readme or "| told reporters |" in readme

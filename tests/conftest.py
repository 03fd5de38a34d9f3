"""Shared test setup: the helpers beside this file (office, ribbon_engine, …) import from any test folder,
and the fixtures several test files share live here (built once per run)."""
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))     # samples_src.codes (the credit-code generator)
sys.path.insert(2, str(Path(__file__).resolve().parent / "hostile"))

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    """``corpus(kind)``: the hostile or damaged file of that kind (tests/hostile/make_corpus.py), made once."""
    import make_corpus as mc
    made: dict[str, Path] = {}

    def get(kind: str) -> Path:
        if kind not in made:
            made[kind] = mc.KINDS[kind](tmp_path_factory.mktemp(kind))
        return made[kind]
    return get


@pytest.fixture(scope="session")
def sample_results():
    """{file name: (WorkbookData, findings)} for every committed sample city workbook, validated once."""
    from xjr_excel.validate.run import validate_file
    manifest = json.loads((SAMPLES.parent / "samples_src" / "manifest.json").read_text(encoding="utf-8"))
    return {f["file"]: validate_file(SAMPLES / f["file"]) for f in manifest["files"]}

"""Shared test setup: the helpers beside this file (office, ribbon_engine, …) import from any test folder."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

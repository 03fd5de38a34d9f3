"""Shared test setup: the helpers beside this file (office, ribbon_engine, …) import from any test folder."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))     # samples.codes (the credit-code generator)

"""Made-up but valid 统一社会信用代码 (GB 32100-2015) — the one generator that the samples,
the tests, the benchmarks and the docs renders use.

A code is 9 (registered by 工商) 1 (enterprise), a six-digit area, the nine-character
organisation code (GB 11714, with its own check character) and the GB 32100 check character.
"""
from __future__ import annotations

import random

from stdnum.cn import uscc

CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"      # GB 32100: no I, O, S, V, Z
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def with_check_digit(body17: str) -> str:
    """The 17 leading characters + the GB 32100 check character."""
    return body17 + uscc.calc_check_digit(body17)


def org_check(body8: str) -> str:
    """The GB 11714 check character of an 8-character organisation code body."""
    c = 11 - sum(_ORG_ALPHABET.index(ch) * w for ch, w in zip(body8, _ORG_WEIGHTS)) % 11
    return {10: "X", 11: "0"}.get(c, str(c))


def credit_code(source: int | random.Random, area: str = "3201") -> str:
    """A valid code in the city ``area`` (4 digits: province + city).

    ``source``: an int gives the n-th code, always the same (tests, benchmarks); a
    ``random.Random`` draws a district and an organisation code from it (samples).
    """
    if isinstance(source, random.Random):
        rng = source
        district = area + f"{rng.choice([2, 3, 4, 5, 6, 11, 13]):02d}"
        body = "".join(rng.choice(CODE_CHARS) if i == 2 else str(rng.randrange(10)) for i in range(8))
        body = str(rng.randrange(1, 10)) + body[1:]
    else:
        district = area + "00"
        body = f"{int(source):08d}"
    return with_check_digit("91" + district + body + org_check(body))

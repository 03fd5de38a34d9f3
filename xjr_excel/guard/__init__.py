"""Guard: find out what a file really is before any parser touches it."""
from xjr_excel.guard import ods as _ods  # noqa: F401 - registers the .ods check with guard.check (OTHER_PACKAGES)

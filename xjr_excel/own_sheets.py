"""The sheets the toolkit itself adds to a user's workbook, named once.

Every hidden sheet of ours starts with :data:`OWN_SHEET_PREFIX` (marks, notes, state, a form's record);
the reader never reads them as data, clearing removes them.  Kept apart from every stage (and import-free)
because the template, the reader, the annotator and the forms all need the names.
"""
OWN_SHEET_PREFIX = "_xjr_"
RESULTS_SHEET = "校验结果"      # the visible sheet listing a validation's findings (annotate/)


def is_own_sheet(name: str) -> bool:
    """A sheet we added (never data): a hidden ``_xjr_…`` sheet or the 校验结果 sheet."""
    return name.startswith(OWN_SHEET_PREFIX) or name == RESULTS_SHEET

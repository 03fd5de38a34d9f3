"""Annotate: show findings in the workbook (fill, note, results sheet) and clear them again."""

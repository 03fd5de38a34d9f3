"""The VBA sources and ribbon XML of the master workbook, installed as ``xjr_excel.macros`` (see setup.py)."""

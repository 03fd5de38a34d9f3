"""Writers of an annotation plan: openpyxl for files, xlwings for the workbook open in Excel."""

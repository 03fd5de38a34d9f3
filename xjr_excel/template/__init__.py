"""Template: build the master workbook from the spec, with its VBA project and ribbon."""

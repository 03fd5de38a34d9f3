"""Province: merge the cities' workbooks into the provincial lists and totals."""

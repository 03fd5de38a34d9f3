"""Read: a city workbook into one frame per spec table, and the reference lists."""

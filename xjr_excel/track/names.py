"""The tracking form's names, import-free, so its registration (track/form.py) and its spec share them."""
from xjr_excel.own_sheets import OWN_SHEET_PREFIX

FORM = "track"
TABLE = "track"
RECORD_SHEET = OWN_SHEET_PREFIX + "track"      # very hidden: what the workbook was written with (track.record)

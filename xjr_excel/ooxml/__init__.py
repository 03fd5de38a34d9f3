"""OOXML and binary formats: package parts, relationships, content types, cell addresses,
safe text, the post-openpyxl repair and the VBA project container."""

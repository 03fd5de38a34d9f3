"""OOXML and binary formats: zip parts, relationships, content types, the VBA project container."""

"""The submission form (申报, 附1–附5): the first form; its pieces are the stages' defaults."""

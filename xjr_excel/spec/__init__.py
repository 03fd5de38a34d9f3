"""Spec: the submission's sheets, tables, fields and rules, and the policy data they read."""

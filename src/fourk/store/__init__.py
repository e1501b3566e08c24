"""The only package that speaks SQL: tables, queries per area, migrations."""

"""Thin loader that lands AKTU college CSV exports in the warehouse's raw schema.

Everything after landing (hashing, cleaning, marts) is dbt's job.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"

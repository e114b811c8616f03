"""Spreadsheets (xlsx, xls, ods, csv, OneRoster, SDS) -> validated records -> models."""

from __future__ import annotations

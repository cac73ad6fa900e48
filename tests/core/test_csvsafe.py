"""CSV injection: partner-supplied text in the hub's CSVs (ledger archives, reconciliation) is never a formula."""

from __future__ import annotations

import csv
import gzip

import pytest

from core import csvsafe
from wallet import partitions


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x","pay")', '\'=HYPERLINK("http://x","pay")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("-5.00", "-5.00"),  # a negative amount stays a number
        ("+1e3", "+1e3"),
        ("insufficient_funds", "insufficient_funds"),
        ("", ""),
        (12, 12),
        (None, None),
    ],
)
def test_a_cell_that_a_spreadsheet_would_run_is_quoted(value, written):
    assert csvsafe.cell(value) == written


@pytest.mark.django_db
def test_a_ledger_archive_writes_a_partners_error_code_as_text(tmp_path):
    path = tmp_path / "archive.csv.gz"
    count = partitions.archive_rows(
        path, "SELECT %s AS error_code, %s AS amount", ['=HYPERLINK("http://evil","x")', "-5.00"]
    )
    with gzip.open(path, "rt", newline="") as f:
        rows = list(csv.reader(f))
    assert count == 1
    assert rows == [["error_code", "amount"], ['\'=HYPERLINK("http://evil","x")', "-5.00"]]

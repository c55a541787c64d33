"""The module shape the code relies on: the rules share the splice primitive with instrument
without importing the instrument command module (a pre-commit audit stays light)."""

from __future__ import annotations

import subprocess
import sys


def test_rules_do_not_import_the_instrument_module() -> None:
    code = "import sys, ctamap.rules; print('ctamap.instrument' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_one_edit_type_for_fixes_and_instrument() -> None:
    from ctamap import edits, instrument, rules

    assert rules.Edit is edits.Edit is instrument.Edit
    assert rules.apply_edits is edits.apply_edits

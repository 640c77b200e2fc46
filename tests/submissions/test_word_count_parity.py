"""The live word counter in the browser (static/js/word-count.js) and the server's
check (submissions.markup.count_words) must agree, or a secretariat would see "800 of
800 words" and still be refused. Runs the JavaScript under Node."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from submissions.markup import count_words

SCRIPT = Path(__file__).resolve().parents[2] / "static" / "js" / "word-count.js"
SAMPLES = [
    "",
    "   ",
    "One two three.",
    "- first item\n- second item\n\n1. numbered\n2) also numbered",
    "**bold** and *italic* and [a link](https://example.org)",
    "# Heading with words",
    "A dash – between words & symbols *** --- >",
    "国际移民组织的报告",
    "日本語のテキストとEnglish words",
    "أُعدّت هذه المساهمة على أساس نتائج الاجتماع.",
    "Миграция и развитие: 23 цели.",
    "١. البند الأول\n٢. البند الثاني",
    "snake_case and 2024 and x2",
    "tab\tseparated\nlines\r\nwindows",
]


# Skipped on a developer machine without Node; never in CI, which installs it.
@pytest.mark.skipif(
    shutil.which("node") is None and not os.environ.get("CI"), reason="Node.js is not installed"
)
def test_word_count_javascript_matches_python():
    program = (
        f"const count = require({json.dumps(str(SCRIPT))});"
        "const samples = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(samples.map(count)));"
    )
    result = subprocess.run(
        ["node", "-e", program],
        input=json.dumps(SAMPLES),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert json.loads(result.stdout) == [count_words(sample) for sample in SAMPLES]

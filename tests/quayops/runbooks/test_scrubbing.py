import base64

import nbformat
from nbformat import v4

from quayops.redaction import MASK
from quayops.runbooks.scrubbing import scrub_files, scrub_notebook, spellings

SECRET = 'pa"ss<&>word'


def test_spellings_cover_json_html_and_base64():
    forms = spellings([SECRET, "abc"])  # too short to mask ordinary text
    assert {SECRET, 'pa\\"ss<&>word', "pa&quot;ss&lt;&amp;&gt;word", base64.b64encode(SECRET.encode()).decode()} <= set(forms)
    assert "abc" not in forms


def test_notebook_is_masked_everywhere_and_leaking_cells_reported():
    nb = v4.new_notebook(cells=[
        v4.new_markdown_cell("intro"),
        v4.new_code_cell("x", outputs=[v4.new_output("stream", name="stdout", text=f"pw={SECRET}\n")]),
        v4.new_code_cell("y", outputs=[v4.new_output("execute_result", data={"text/html": "<td>pa&quot;ss&lt;&amp;&gt;word</td>"})]),
        v4.new_code_cell("z", outputs=[v4.new_output("stream", name="stdout", text="postgresql://u:other@db/q\n")]),
    ])
    assert scrub_notebook(nb, spellings([SECRET])) == [1, 2]
    text = nbformat.writes(nb)
    assert "pa" + '\\"ss' not in text and "&quot;ss" not in text and MASK in text
    assert "postgresql://u:*****@db/q" in text  # URI passwords in outputs are masked but not a known secret


def test_written_files_are_checked_and_rewritten(tmp_path):
    clean, dirty = tmp_path / "a.html", tmp_path / "b.json"
    clean.write_text("nothing here")
    dirty.write_text('{"v": "pa\\"ss<&>word"}')
    assert scrub_files([clean, dirty], spellings([SECRET])) == [dirty]
    assert dirty.read_text() == f'{{"v": "{MASK}"}}'

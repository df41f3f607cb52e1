"""Files that are not plans: a clear one-line message, a non-zero exit, and an unchanged store."""

from __future__ import annotations

import pytest

from kb.errors import BadInput
from kb.plans.decode import MAX_BYTES, decode_bytes

GOOD = "# 计划\n\n## 第1个月\n\n### 周1-2\n\n- **论文阅读**：\n  - “Attention Is All You Need”\n"


def _state(cli):
    code, out, _ = cli("plan", "list", "--json")
    assert code == 0
    return out


@pytest.mark.parametrize("name,data,message", [
    ("empty.md", b"", "is empty"),
    ("blank.md", b"  \n\n\t\n", "is empty"),
    ("binary.md", bytes(range(256)) * 40, "binary"),
    ("plan.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "a PDF"),
    ("plan.docx", b"PK\x03\x04" + b"\x00" * 100, "ZIP"),
    ("undecodable.md", "论文阅读：“注意力”".encode("utf-8")[:-1] + b"\xff\xfe\xfd\x80\x81" * 10, "neither UTF-8 nor GBK"),
    ("nopapers.md", "# Plan\n\n## Week 1\n\n- **Practice**:\n  - Implement attention\n".encode(), "no recognisable papers"),
    ("prose.md", "Just some words, no list, nothing.\n".encode(), "no plan in it"),
])
def test_bad_files_are_refused_cleanly(tmp_path, home, cli, name, data, message):
    ok = tmp_path / "ok.md"
    ok.write_text(GOOD, encoding="utf-8")
    assert cli("plan", "import", str(ok))[0] == 0
    before = _state(cli)
    bad = tmp_path / name
    bad.write_bytes(data)
    code, out, err = cli("plan", "import", str(bad))
    assert code == BadInput.exit_code
    assert message in err and "Traceback" not in err
    assert err.strip().splitlines()[0].startswith("error: ")
    assert _state(cli) == before


def test_a_10_mb_file_is_refused_without_reading_it(tmp_path, home, cli):
    big = tmp_path / "huge.md"
    with open(big, "wb") as fh:
        fh.write(GOOD.encode())
        fh.seek(10 * 1024 * 1024)
        fh.write(b"\n")
    code, _, err = cli("plan", "import", str(big))
    assert code == BadInput.exit_code and "too large" in err and "10.0 MB" in err
    assert cli("plan", "list", "--json")[1].strip() == "[]"


def test_missing_file_and_folder(tmp_path, cli):
    assert cli("plan", "import", str(tmp_path / "nope.md"))[0] == BadInput.exit_code
    code, _, err = cli("plan", "import", str(tmp_path))
    assert code == BadInput.exit_code and "folder" in err


def test_gbk_plans_are_decoded_and_said_so(tmp_path, cli):
    gbk = tmp_path / "gbk.md"
    gbk.write_bytes(GOOD.encode("gbk"))
    code, out, err = cli("plan", "import", str(gbk), "--json")
    assert code == 0, err
    import json

    result = json.loads(out)
    assert result["encoding"] == "gb18030" and "GBK" in result["notes"][0]
    assert result["plans"][0]["title"] == "计划" and result["plans"][0]["papers"] == 1


def test_other_encodings():
    assert decode_bytes("\ufeff# Plan".encode("utf-8")).text == "# Plan"
    assert decode_bytes("# 计划 “Attention”".encode("utf-16")).text == "# 计划 “Attention”"
    smart = "# Plan\n- \u201cAttention Is All You Need\u201d \u2014 read it\n".encode("cp1252")
    decoded = decode_bytes(smart)
    assert decoded.encoding == "cp1252" and "\u201cAttention" in decoded.text
    with pytest.raises(BadInput, match="too large"):
        decode_bytes(b"x" * (MAX_BYTES + 1))

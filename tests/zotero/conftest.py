from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fake_zotero import FakeZotero  # noqa: E402

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def fake():
    server = FakeZotero(api_key="sekrit-KEY-123").start()
    yield server
    server.stop()


@pytest.fixture
def web_source(fake):
    from kb.zotero.web import RetryPolicy, WebSource

    src = WebSource(library_id=fake.library_id, api_key=fake.api_key, endpoint=fake.url,
                    policy=RetryPolicy(timeout_s=0.5, attempts=3, backoff_s=0.01))
    yield src
    src.close()

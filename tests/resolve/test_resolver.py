"""Resolving papers from an id or a link: offline from the catalog, online (only when allowed)
from recorded arXiv, Crossref, OpenAlex and Semantic Scholar answers served on 127.0.0.1."""

from __future__ import annotations

import time

import pytest

from kb.errors import KbError, NotFound
from kb.resolve import ids
from kb.resolve.resolver import Resolver


@pytest.mark.parametrize("text,kind,value", [
    ("arXiv:2106.09685", "arxiv", "2106.09685"),
    ("2106.09685v2", "arxiv", "2106.09685"),
    ("https://arxiv.org/pdf/2106.09685v1.pdf", "arxiv", "2106.09685"),
    ("doi:10.1145/3442188.3445922", "doi", "10.1145/3442188.3445922"),
    ("https://dl.acm.org/doi/10.1145/3600006.3613165", "doi", "10.1145/3600006.3613165"),
    ("https://doi.org/10.1038/nature14539", "doi", "10.1038/nature14539"),
    ("https://aclanthology.org/2020.acl-main.703/", "acl", "2020.acl-main.703"),
    ("https://aclanthology.org/D14-1162.pdf", "acl", "D14-1162"),
    ("https://openreview.net/forum?id=Bkg6RiCqY7", "openreview", "Bkg6RiCqY7"),
    ("https://proceedings.mlr.press/v37/ioffe15.pdf", "pdf_url", "https://proceedings.mlr.press/v37/ioffe15.pdf"),
])
def test_ids_from_text_and_links(text, kind, value):
    assert ids.parse(text) == ids.PaperId(kind, value)


@pytest.mark.parametrize("text", ["", "LoRA", "arXiv:notanid", "doi:11.1/x", "https://example.com/about"])
def test_what_is_not_an_id(text):
    assert ids.parse(text) is None


def test_offline_the_catalog_answers_and_nothing_else_is_asked(tmp_path, sources):
    resolver = Resolver(tmp_path, {})  # the defaults: offline
    assert not resolver.online
    meta = resolver.resolve(ids.parse("arXiv:2106.09685"))
    assert meta.source == "catalog" and meta.title.startswith("LoRA") and meta.year
    with pytest.raises(NotFound) as err:
        resolver.resolve(ids.parse("arXiv:2401.04088"))
    assert "offline catalog" in err.value.message and "--online" in err.value.hint
    offline_even_with_urls = Resolver(tmp_path, sources.config(online=False))
    with pytest.raises(NotFound):
        offline_even_with_urls.resolve(ids.parse("doi:10.1145/3442188.3445922"))
    assert sources.hits == []


def test_arxiv_online_from_the_atom_answer_then_the_cache(tmp_path, sources):
    resolver = Resolver(tmp_path, sources.config())
    meta = resolver.resolve(ids.parse("arXiv:2401.04088"))
    assert (meta.title, meta.year, meta.source) == ("Mixtral of Experts", 2024, "arxiv")
    assert meta.authors == ["Albert Q. Jiang", "Alexandre Sablayrolles", "Antoine Roux"]
    assert meta.pdf_url == f"{sources.base}/pdf/2401.04088v1"
    again = Resolver(tmp_path, sources.config()).resolve(ids.parse("https://arxiv.org/abs/2401.04088v1"))
    assert again.title == "Mixtral of Experts"
    assert len(sources.hits) == 1  # the second answer came from the disk cache


def test_an_id_arxiv_does_not_have(tmp_path, sources):
    with pytest.raises(NotFound, match="no source knows"):
        Resolver(tmp_path, sources.config()).resolve(ids.parse("arXiv:2499.99999"))


def test_doi_from_crossref_and_from_openalex_when_crossref_lacks_it(tmp_path, sources):
    resolver = Resolver(tmp_path, sources.config())
    parrots = resolver.resolve(ids.parse("doi:10.1145/3442188.3445922"))
    assert parrots.title.startswith("On the Dangers of Stochastic Parrots") and parrots.year == 2021
    assert parrots.authors[0] == "Emily M. Bender" and parrots.source == "crossref"
    assert parrots.pdf_url is None  # ACM's licence is not an open one
    nature = resolver.resolve(ids.parse("https://doi.org/10.1038/nature14539"))
    assert (nature.title, nature.year, nature.venue, nature.source) == ("Deep learning", 2015, "Nature", "openalex")
    assert nature.authors == ["Yann LeCun", "Yoshua Bengio", "Geoffrey E. Hinton"]


def test_acl_anthology_from_semantic_scholar(tmp_path, sources):
    meta = Resolver(tmp_path, sources.config()).resolve(ids.parse("https://aclanthology.org/2020.acl-main.703/"))
    assert meta.title.startswith("BART: Denoising") and meta.arxiv_id == "1910.13461" and meta.doi == "10.18653/v1/2020.acl-main.703"


def test_requests_to_one_host_are_spaced(tmp_path, sources):
    resolver = Resolver(tmp_path, sources.config(arxiv_interval_s=0.4))
    start = time.monotonic()
    resolver.resolve(ids.parse("arXiv:2401.04088"))
    resolver.resolve(ids.parse("arXiv:2301.12597"))
    assert time.monotonic() - start >= 0.4 and len(sources.hits) == 2
    # the naive client (no spacing) is measurably faster: the check can fail
    fast = Resolver(tmp_path / "other", sources.config(arxiv_interval_s=0.0))
    start = time.monotonic()
    fast.resolve(ids.parse("arXiv:2401.04088"))
    fast.resolve(ids.parse("arXiv:2301.12597"))
    assert time.monotonic() - start < 0.4


def test_an_unreachable_source_is_one_clear_error(tmp_path):
    resolver = Resolver(tmp_path, {"resolve": {"online": True, "arxiv_url": "http://127.0.0.1:9/api", "timeout_s": 1.0,
                                               "arxiv_interval_s": 0.0}})
    with pytest.raises(KbError) as err:
        resolver.resolve(ids.parse("arXiv:2401.04088"))
    assert "could not reach 127.0.0.1:9" in err.value.message and "offline" in err.value.hint
    # a plan of twenty papers does not wait twenty timeouts: the host is not tried again this run
    sent = resolver.fetcher.requests
    with pytest.raises(KbError, match="could not reach"):
        resolver.resolve(ids.parse("arXiv:2301.12597"))
    assert resolver.fetcher.requests == sent


def test_a_download_that_is_not_a_pdf_is_refused(tmp_path, sources):
    resolver = Resolver(tmp_path, sources.config())
    with pytest.raises(KbError, match="did not return a PDF"):
        resolver.download_pdf(f"{sources.base}/notpdf/x", tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_openreview_ids_from_api_2_and_from_api_1_for_older_venues(tmp_path, sources):
    """OpenReview links (plans list ICLR and NeurIPS papers by them) were refused online as
    "cannot be looked up" (stop 22). A venue since 2023 is in API 2 ({"value": ...} fields); an
    older one (ICLR 2022) only in API 1, asked when API 2 has no such note."""
    resolver = Resolver(tmp_path, sources.config())
    qlora = resolver.resolve(ids.parse("https://openreview.net/forum?id=OUIFPHEgJU"))
    assert qlora.title == "QLoRA: Efficient Finetuning of Quantized LLMs" and qlora.authors[0] == "Tim Dettmers"
    assert (qlora.year, qlora.venue, qlora.source) == (2023, "NeurIPS 2023 oral", "openreview")
    assert qlora.pdf_url == "https://openreview.net/pdf?id=OUIFPHEgJU"
    assert [h for h in sources.hits if "openreview1" in h] == []  # found in API 2: API 1 not asked
    lora = resolver.resolve(ids.parse("openreview:nZeVKeeFYf9"))
    assert lora.title == "LoRA: Low-Rank Adaptation of Large Language Models" and len(lora.authors) == 8
    assert (lora.year, lora.venue) == (2022, "ICLR 2022 Poster")
    asked = len(sources.hits)
    assert resolver.resolve(ids.parse("openreview:nZeVKeeFYf9")).title == lora.title and len(sources.hits) == asked  # cached
    with pytest.raises(NotFound, match="no source knows"):
        resolver.resolve(ids.parse("openreview:NoSuchPaper1"))

"""What a link in a plan points at: a paper (by its host and path, as a person reads a URL), or
something else (an encyclopedia article, a notebook, a video, a blog, a model card, a code
repository), or nothing known.

    verdict(url, text="") -> Verdict(kind, reason, host)

kind is "paper", a non-paper kind ("tutorial", "course", "other"), or None when the URL says
nothing either way (then the line's other evidence decides).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

# host (suffix) and a path pattern that make a link a paper
_PAPER_HOSTS: list[tuple[str, str, str]] = [
    ("arxiv.org", r"^/(abs|pdf|html)/", "an arXiv paper"),
    ("proceedings.mlr.press", r"^/v\d+/", "a PMLR proceedings paper"),
    ("proceedings.neurips.cc", r"^/paper", "a NeurIPS proceedings paper"),
    ("papers.nips.cc", r"^/paper", "a NeurIPS proceedings paper"),
    ("aclanthology.org", r"^/(\d{4}\.[\w-]+\.\d+|[A-Z]\d{2}-\d{4})", "an ACL Anthology paper"),
    ("aclweb.org", r"^/anthology/", "an ACL Anthology paper"),
    ("openreview.net", r"^/(forum|pdf)", "an OpenReview paper"),
    ("dl.acm.org", r"^/doi/", "an ACM Digital Library paper"),
    ("doi.org", r"^/10\.", "a DOI"),
    ("cacm.acm.org", r"^/(research|magazines|practice|opinion|news)/", "a Communications of the ACM article"),
    ("jmlr.org", r"^/(papers|beta/papers)/", "a JMLR paper"),
    ("nature.com", r"^/articles/", "a Nature article"),
    ("science.org", r"^/doi/", "a Science article"),
    ("ieeexplore.ieee.org", r"^/(document|abstract|stamp)", "an IEEE paper"),
    ("link.springer.com", r"^/(article|chapter|content)", "a Springer paper"),
    ("openaccess.thecvf.com", r"", "a CVF open-access paper"),
    ("ojs.aaai.org", r"^/index\.php/AAAI/article", "an AAAI paper"),
    ("aaai.org", r"/(ojs|Papers)/", "an AAAI paper"),
    ("ijcai.org", r"^/proceedings/", "an IJCAI paper"),
    ("semanticscholar.org", r"^/(paper|arxiv)/", "a Semantic Scholar paper page"),
    ("paperswithcode.com", r"^/paper/", "a Papers with Code paper page"),
    ("huggingface.co", r"^/papers/\d{4}\.\d{4,5}", "a Hugging Face paper page"),
    ("biorxiv.org", r"^/content/", "a bioRxiv preprint"),
    ("pnas.org", r"^/doi/", "a PNAS paper"),
    ("usenix.org", r"^/(conference|system/files)/", "a USENIX paper"),
    ("mlsys.org", r"", "an MLSys paper"),
    ("ar5iv.org", r"^/(abs|html)/", "an arXiv paper (ar5iv)"),
    ("ar5iv.labs.arxiv.org", r"^/html/", "an arXiv paper (ar5iv)"),
    ("researchgate.net", r"^/publication/", "a paper on ResearchGate"),
    ("sciencedirect.com", r"^/science/article/", "a journal article"),
    ("iclr.cc", r"^/virtual/\d{4}/(poster|oral|spotlight)/", "an ICLR paper page"),
    ("distill.pub", r"^/\d{4}/", "a Distill article (a peer-reviewed journal)"),
    ("transformer-circuits.pub", r"^/\d{4}/", "a Transformer Circuits paper"),
]

# hosts that are not papers, with the kind a person would call them
_OTHER_HOSTS: list[tuple[str, str, str]] = [
    ("wikipedia.org", "other", "an encyclopedia article"),
    ("kaggle.com", "tutorial", "a Kaggle notebook"),
    ("colab.research.google.com", "tutorial", "a notebook"),
    ("youtube.com", "course", "a video"),
    ("youtu.be", "course", "a video"),
    ("bilibili.com", "course", "a video"),
    ("b23.tv", "course", "a video"),
    ("vimeo.com", "course", "a video"),
    ("medium.com", "tutorial", "a blog post"),
    ("substack.com", "tutorial", "a blog post"),
    ("zhihu.com", "tutorial", "a Zhihu post"),
    ("csdn.net", "tutorial", "a blog post"),
    ("cnblogs.com", "tutorial", "a blog post"),
    ("jianshu.com", "tutorial", "a blog post"),
    ("mp.weixin.qq.com", "tutorial", "a WeChat article"),
    ("kexue.fm", "tutorial", "a blog post"),
    ("towardsdatascience.com", "tutorial", "a blog post"),
    ("huggingface.co", "other", "a Hugging Face page (model card, dataset or docs)"),
    ("github.com", "other", "a code repository"),
    ("gitlab.com", "other", "a code repository"),
    ("readthedocs.io", "tutorial", "documentation"),
    ("twitter.com", "other", "a post"),
    ("x.com", "other", "a post"),
    ("reddit.com", "other", "a forum thread"),
    ("paperswithcode.com", "other", "a Papers with Code page"),
    ("docs.google.com", "other", "a shared document"),
    ("coursera.org", "course", "a course"),
    ("edx.org", "course", "a course"),
    ("deeplearning.ai", "course", "a course"),
]



# a lab's or a person's blog on its own host: /blog/…, /posts/…, /2023/05/…
_BLOG_PATH = re.compile(r"(?i)^/(?:[\w-]+/)?(?:blog|blogs|posts?)/|^/20\d\d/\d\d/")


@dataclass(frozen=True)
class Verdict:
    kind: str | None
    reason: str
    host: str


def host_of(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.lower().removeprefix("www.")


def _on(host: str, suffix: str) -> bool:
    return host == suffix or host.endswith("." + suffix)


def verdict(url: str, text: str = "") -> Verdict:
    """What the link at `url` (with link text `text`) points at."""
    if not re.match(r"(?i)^https?://", url):
        return Verdict(None, "a relative link", "")
    host = host_of(url)
    parts = urlsplit(url)
    path = parts.path or "/"
    query = parts.query or ""
    for suffix, pattern, what in _PAPER_HOSTS:
        if _on(host, suffix) and re.search(pattern, path + ("?" + query if query else "")):
            return Verdict("paper", f"link to {what} ({host})", host)
    if path.lower().endswith(".pdf"):
        # a PDF is a paper (a technical report in a GitHub repository, a lab's own copy), unless it
        # says it is slides or lecture notes
        if re.search(r"(?i)slides?|lecture|lec\d|notes|handout|syllabus|cheat", path + " " + text):
            return Verdict("other", f"link to slides or notes as a PDF ({host})", host)
        return Verdict("paper", f"link to a PDF ({host})", host)
    for suffix, kind, what in _OTHER_HOSTS:
        if _on(host, suffix):
            return Verdict(kind, f"link to {what} ({host}), not a paper", host)
    if _on(host, "github.io") or re.match(r"(?i)^(blog|medium|notes?)\.", host) or _BLOG_PATH.search(path):
        return Verdict("tutorial", f"link to a blog ({host}), not a paper", host)
    if text and is_host_name(text):
        return Verdict("tutorial", f"link text is only a host name ({text.strip()}): a website, not a paper", host)
    return Verdict(None, f"link to {host}", host)


def is_host_name(text: str) -> bool:
    """'lilianweng.github.io', 'www.example.com/blog': link text that names a site, not a title."""
    t = text.strip().strip("<>")
    return bool(re.fullmatch(r"(?i)(https?://)?([a-z0-9-]+\.)+[a-z]{2,}(/\S*)?", t))


_BARE_URL = re.compile(r"(?<![(\[<\"'])\bhttps?://[^\s<>()\[\]，。；、）]+")


def bare_urls(text: str) -> list[tuple[int, int, str]]:
    """URLs written as plain text (not inside a Markdown link), with their spans."""
    out = []
    for m in _BARE_URL.finditer(text):
        url = m.group(0).rstrip(".,;:!?'\"")
        out.append((m.start(), m.start() + len(url), url))
    return out

"""Papers resolved from a link or an id: offline first (the catalog, the ids in a link), and
when the user allows the network (`kb config resolve.online true`, or `--online`) the arXiv,
Crossref, Semantic Scholar and OpenAlex APIs, behind a cache and per-host rate limits.

    ids.parse(text)                    -> PaperId | None   ("arXiv:2106.09685", a DOI, a URL)
    resolver.Resolver(home, config)    .resolve(pid) -> Metadata; .download_pdf(meta, dest)
"""

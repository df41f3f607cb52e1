from kb.pdf.text import join_lines, normalize, vocabulary


def test_ligatures_and_spacing_accents():
    assert normalize("ﬁne-tuning ﬂow eﬀect") == "fine-tuning flow effect"
    assert normalize("T¨ackstr¨om") == "Täckström"


def test_dehyphenation_uses_the_document_vocabulary():
    vocab = vocabulary(["we use a low-rank update", "the parameters are frozen"])
    assert join_lines(["a low-", "rank update"], vocab) == "a low-rank update"
    assert join_lines(["the pa-", "rameters"], vocab) == "the parameters"
    assert join_lines(["Section 3-", "Results"], vocab) == "Section 3- Results"  # not a broken word

import pytest

from dailypapers.errors import InvalidInput
from dailypapers.sources.ids import ArxivId, parse_arxiv_id


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2505.13508", ArxivId("2505.13508")),
        ("2505.13508v2", ArxivId("2505.13508", 2)),
        ("arXiv:2505.13508", ArxivId("2505.13508")),
        ("ARXIV:2505.13508v3", ArxivId("2505.13508", 3)),
        ("  2505.13508 ", ArxivId("2505.13508")),
        ("https://arxiv.org/abs/2505.13508", ArxivId("2505.13508")),
        ("https://arxiv.org/abs/2505.13508v1", ArxivId("2505.13508", 1)),
        ("http://arxiv.org/pdf/2505.13508", ArxivId("2505.13508")),
        ("https://arxiv.org/pdf/2505.13508v2.pdf", ArxivId("2505.13508", 2)),
        ("https://arxiv.org/pdf/2505.13508.pdf", ArxivId("2505.13508")),
        ("arxiv.org/abs/2505.13508", ArxivId("2505.13508")),
        ("https://www.arxiv.org/abs/1706.03762?context=cs", ArxivId("1706.03762")),
        ("https://export.arxiv.org/abs/0704.0002", ArxivId("0704.0002")),
        ("0704.0002", ArxivId("0704.0002")),
        ("hep-th/9901001", ArxivId("hep-th/9901001")),
        ("hep-th/9901001v2", ArxivId("hep-th/9901001", 2)),
        ("math.GT/0309136", ArxivId("math/0309136")),
        ("math.gt/0309136", ArxivId("math/0309136")),
        ("https://arxiv.org/abs/math.GT/0309136v1", ArxivId("math/0309136", 1)),
        ("math/0309136", ArxivId("math/0309136")),
        ("1412.1234", ArxivId("1412.1234")),
        ("arXiv:cond-mat/0211159", ArxivId("cond-mat/0211159")),
        ("https://arxiv.org/pdf/astro-ph/9812133.pdf", ArxivId("astro-ph/9812133")),
    ],
)
def test_parses_every_pasted_form(text, expected):
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not-an-id",
        "2505.135",
        "2505.1350867",
        "2513.13508",
        "2505.13508v0",
        "hep-th/990100",
        "https://example.org/abs/2505.13508",
        "2505.13508 2505.13509",
        "12345.6789",
        "2501.0001",
        "1412.12345",
    ],
)
def test_rejects_anything_else_naming_the_input(text):
    with pytest.raises(InvalidInput) as info:
        parse_arxiv_id(text)
    assert repr(text.strip()) in str(info.value)


def test_str_keeps_version():
    assert str(parse_arxiv_id("arXiv:2505.13508v2")) == "2505.13508v2"
    assert str(parse_arxiv_id("math.GT/0309136v2")) == "math/0309136v2"


def test_an_overlong_id_is_refused_unread_and_not_echoed():
    with pytest.raises(InvalidInput) as refused:
        parse_arxiv_id("2505.13508" + "9" * 100_000)
    assert str(refused.value) == "not an arXiv id or URL: 100010 characters long (the limit is 300)"

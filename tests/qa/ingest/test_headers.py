"""qa.ingest.headers, through parse_article: what an archive's articles say
about themselves outside front matter (header lines, title, credit block,
the date in the path)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.ingest.articles import parse_article
from qa.ingest.headers import path_date, read_credits, read_headers

SITE = "https://linux.cn"
LCTT = """[#]: collector: (lujun9972)
[#]: translator: (qhwdw)
[#]: reviewer: (wxy)
[#]: url: (https://linux.cn/article-10429-1.html)
[#]: subject: (Computer Laboratory – Raspberry Pi: Lesson 0 Introduction)
[#]: via: (https://www.cl.cam.ac.uk/projects/raspberrypi/tutorials/os/introduction.html)
[#]: author: (Robert Mullins http://www.cl.cam.ac.uk/~rdm34)

计算机实验室之树莓派：课程 0 简介
======

这个课程简介不包含实践内容，但它解释了一个操作系统的基本概念。

--------------------------------------------------------------------------------

via: https://www.cl.cam.ac.uk/projects/raspberrypi/tutorials/os/introduction.html

作者：[Robert Mullins][a]
选题：[lujun9972][b]
译者：[qhwdw](https://github.com/qhwdw)
校对：[wxy](https://github.com/wxy)

本文由 [LCTT](https://github.com/LCTT/TranslateProject) 原创编译，[Linux中国](https://linux.cn/) 荣誉推出

[a]: http://www.cl.cam.ac.uk/~rdm34
[b]: https://github.com/lujun9972
"""


def test_archive_header_lines_title_and_credits_become_metadata() -> None:
    article = parse_article(Path("201901/20190101 Lesson 0.md"), LCTT, SITE)
    assert article.title == "计算机实验室之树莓派：课程 0 简介"
    assert article.url == "https://linux.cn/article-10429-1.html"
    assert article.original_url == "https://www.cl.cam.ac.uk/projects/raspberrypi/tutorials/os/introduction.html"
    assert (article.author, article.translator, article.proofreader) == ("Robert Mullins", "qhwdw", "wxy")
    assert article.date == "2019-01-01"
    assert article.body.lstrip().startswith("这个课程简介")  # header lines and title are not body text


def test_without_header_lines_the_credit_block_gives_url_author_and_translator() -> None:
    headless = LCTT[LCTT.index("计算机实验室"):]
    article = parse_article(Path("201901/20171119 Lesson 0.md"), headless, SITE)
    assert article.url == article.original_url == (
        "https://www.cl.cam.ac.uk/projects/raspberrypi/tutorials/os/introduction.html")
    assert (article.author, article.translator, article.proofreader) == ("Robert Mullins", "qhwdw", "wxy")
    assert article.date == "2019-01"  # the file name's day is the original's, in another month


def test_front_matter_wins_over_the_archive_metadata() -> None:
    source = f"---\ntitle: 前言的标题\nauthor: 老王\ndate: 2020-02-02\nurl: https://example.org/a\n---\n{LCTT}"
    article = parse_article(Path("201901/20190101 x.md"), source, SITE)
    assert (article.title, article.author, article.date, article.url) == (
        "前言的标题", "老王", "2020-02-02", "https://example.org/a")
    assert article.translator == "qhwdw"


@pytest.mark.parametrize("line", ['[#]: url: "https://linux.cn/article-1-1.html"',
                                  "[#]: url: (https://linux.cn/article-1-1.html)",
                                  "[#]: url:\thttps://linux.cn/article-1-1.html"])
def test_header_values_in_parentheses_quotes_or_bare(line: str) -> None:
    fields, end = read_headers(f"{line}\n[#]: url: (https://other)\n\n正文。\n")
    assert fields == {"url": "https://linux.cn/article-1-1.html"}  # the first of a key wins
    assert end == len(f"{line}\n[#]: url: (https://other)\n\n")


def test_a_header_url_that_is_no_url_falls_back_to_the_original() -> None:
    source = "[#]: url: ( )\n[#]: via: (https://example.org/original)\n\n正文第一段。\n"
    assert parse_article(Path("a.md"), source, SITE).url == "https://example.org/original"


def test_credit_lines_with_ascii_colons_and_links() -> None:
    credits = read_credits("正文。\n\nvia: https://example.org/x\n\n作者: [Ostechnix][a]\n译者: [sanfusu](https://x)\n")
    assert credits == {"via": "https://example.org/x", "author": "Ostechnix", "translator": "sanfusu"}


@pytest.mark.parametrize(("path", "date"), [
    ("published/201911/20191111 标题.md", "2019-11-11"),
    ("published/201911/20181111 标题.md", "2019-11"),
    ("corpus/20191111 标题.md", "2019-11-11"),
    ("corpus/标题.md", None),
])
def test_date_from_the_path(path: str, date: str | None) -> None:
    assert path_date(Path(path)) == date

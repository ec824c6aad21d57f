"""The English names of Chinese articles (`qa.article_names`)."""

from __future__ import annotations

from qa.article_names import ArticleNames, name_words
from qa.crosslingual import unrendered_words


def test_the_name_is_the_file_names_words_and_the_original_urls_path() -> None:
    words = name_words("20191111 How to Install Caddy Web Server",
                       "https://opensource.com/article/19/11/caddy-https-certificates")
    assert {"caddy", "install", "server", "https", "certificates", "certificate"} <= words
    assert "opensource" not in words  # the host: one site holds hundreds of articles
    assert name_words("alauda-chenkai-interview", None) >= {"alauda", "chenkai", "interview"}


def test_a_name_finds_the_articles_whose_name_holds_any_of_its_forms() -> None:
    names = ArticleNames.of([name_words("alauda-chenkai-interview", None),
                             name_words("20190607 Free and Open Source Trello Alternatives", None),
                             name_words("20191111 Editing sudoers files", None)])
    held = names.held(unrendered_words("What open source projects has Alauda released?"))
    assert held["alauda"].tolist() == [0]
    # Common words are found through their Chinese renderings, not in names:
    # the file names of English originals hold them everywhere.
    assert set(held) == {"alauda"}
    sudoers = names.held(unrendered_words("When two settings in the sudoers file conflict?"))
    assert sudoers["sudoers"].tolist() == [2]
    # A name of several words is also looked for as a slug writes it.
    assert names.held(unrendered_words("What did the author and Chen Kai drink?"))["chenkai"].tolist() == [0]
    assert names.count == 3

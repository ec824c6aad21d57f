"""qa.ingest.chunker: Markdown article → paragraph passages."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.ingest.articles import parse_article
from qa.ingest.chunker import ChunkSettings, Passage, chunk_article, split_long, strip_markup
from qa.settings import Settings
from qa.text import sentence_spans, squash_whitespace

SITE = "https://linux.cn"
FRONT = "---\ntitle: 测试文章\n---\n"


def _article(body: str, front: str = FRONT, name: str = "doc.md"):
    return parse_article(Path(name), front + body, SITE)


def _chunk(body: str, front: str = FRONT, **settings: int) -> list[Passage]:
    return chunk_article(_article(body, front), ChunkSettings(**settings))


def _texts(body: str, **settings: int) -> list[str]:
    return [p.text for p in _chunk(body, **settings)]


# --- long paragraphs: split at Chinese sentence ends ------------------------------


@pytest.mark.parametrize(
    ("paragraph", "max_chars", "pieces"),
    [
        pytest.param(
            "他说：“第一句话。”她说：“第二句话。”最后一句。",
            12,
            ["他说：“第一句话。”", "她说：“第二句话。”", "最后一句。"],
            id="closing-quote-after-full-stop",
        ),
        pytest.param(
            "她喊：“快跑！」他回头：“为什么！」两人都笑了。",
            10,
            ["她喊：“快跑！」", "他回头：“为什么！」", "两人都笑了。"],
            id="corner-bracket-after-exclamation",
        ),
        pytest.param(
            "我们想了很久……最后决定做平台。然后就做了。",
            10,
            ["我们想了很久……", "最后决定做平台。", "然后就做了。"],
            id="ellipsis-ends-sentence",
        ),
        pytest.param(
            "平台——也就是容器云——是核心。后面还有一句话。",
            16,
            ["平台——也就是容器云——是核心。", "后面还有一句话。"],
            id="dash-does-not-end-sentence",
        ),
        pytest.param(
            "ACP 2.0 是平台。Helm v3 是标准。100+ 家客户。",
            13,
            ["ACP 2.0 是平台。", "Helm v3 是标准。", "100+ 家客户。"],
            id="mixed-chinese-english-numbers",
        ),
        pytest.param(
            "ＡＣＰ平台很好！Ｈｅｌｍ也很好？１００＋家客户；",
            9,
            ["ＡＣＰ平台很好！", "Ｈｅｌｍ也很好？", "１００＋家客户；"],
            id="full-width-letters-and-punctuation",
        ),
        pytest.param(
            "第一句比较长一点。第二句。第三句也有一点长。",
            13,
            ["第一句比较长一点。第二句。", "第三句也有一点长。"],
            id="sentences-packed-up-to-the-limit",
        ),
        pytest.param("短段落不用拆。", 800, ["短段落不用拆。"], id="short-paragraph-untouched"),
    ],
)
def test_split_long_cuts_at_sentence_ends(paragraph: str, max_chars: int, pieces: list[str]) -> None:
    assert split_long(paragraph, max_chars) == pieces


@pytest.mark.parametrize(
    ("paragraph", "max_chars", "first_pieces"),
    [
        pytest.param(
            "他说：“第一句话。”她说：“第二句话。”最后一句。",
            12,
            ["他说：“第一句话。”", "她说：“第二句话。”"],
            id="closing-quote",
        ),
        pytest.param(
            "她喊：“快跑！」他回头：“为什么！」两人都笑了。",
            10,
            ["她喊：“快跑！」", "他回头：“为什么！」"],
            id="corner-bracket",
        ),
        pytest.param(
            "我们想了很久……最后决定做平台。然后就做了。",
            10,
            ["我们想了很久……", "最后决定做平台。"],
            id="ellipsis",
        ),
        pytest.param(
            "ACP 2.0 是平台。Helm v3 是标准。100+ 家客户。",
            13,
            ["ACP 2.0 是平台。", "Helm v3 是标准。"],
            id="mixed",
        ),
    ],
)
def test_split_keeps_closing_quote_with_sentence_in_passages(
    paragraph: str, max_chars: int, first_pieces: list[str]
) -> None:
    passages = _chunk(paragraph + "\n", max_chars=max_chars, min_chars=1)
    assert [p.text for p in passages][:2] == first_pieces
    assert [p.id for p in passages][:2] == ["doc#p1.1", "doc#p1.2"]
    assert not any(p.text[0] in "”’」』）》" for p in passages)  # no piece starts with a closer


def test_split_falls_back_to_commas_then_to_the_limit() -> None:
    sentence = "第一分句很长很长，第二分句也很长，第三分句同样很长。"
    assert split_long(sentence, 10) == ["第一分句很长很长，", "第二分句也很长，", "第三分句同样很长。"]
    assert split_long("一二三四五六七八九十一二", 5) == ["一二三四五", "六七八九十", "一二"]


def test_split_at_commas_keeps_english_spacing() -> None:
    # Each piece is a clean slice of the sentence: no doubled or leading space.
    pieces = split_long("alpha beta, gamma delta, epsilon zeta eta theta iota", 30)
    assert all(p == p.strip() and "  " not in p for p in pieces), pieces
    assert " ".join(pieces) == "alpha beta, gamma delta, epsilon zeta eta theta iota"


@pytest.mark.parametrize("max_chars", [800, 333, 50])
def test_paragraph_without_punctuation_is_split_never_truncated(max_chars: int) -> None:
    paragraph = ("灵雀云容器平台" * 300)[:2000]
    passages = _chunk(paragraph + "\n", max_chars=max_chars)
    assert len(passages) == -(-2000 // max_chars)
    assert all(len(p.text) <= max_chars for p in passages)
    assert "".join(p.text for p in passages) == paragraph
    assert [p.id for p in passages] == [f"doc#p1.{k}" for k in range(1, len(passages) + 1)]
    assert {p.paragraph for p in passages} == {1}


def test_long_paragraph_pieces_fit_the_budget_and_lose_nothing() -> None:
    paragraph = "“Kubernetes 可以很快胜出。”他说，“因为社区好！」" * 40 + "最后一句……没有句号"
    passages = _chunk(paragraph + "\n", max_chars=100)
    assert all(len(p.text) <= 100 for p in passages)
    assert "".join(p.text for p in passages) == paragraph


# --- what becomes a passage ---------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "texts"),
    [
        pytest.param("", [], id="empty-body"),
        pytest.param("# 标题\n\n## 小节\n", [], id="headings-only"),
        pytest.param(
            "![封面](/a.png)\n\n这是正文的第一段，足够长，不会被合并。\n",
            ["这是正文的第一段，足够长，不会被合并。"],
            id="image-only-paragraph",
        ),
        pytest.param(
            "第一段的内容足够长，肯定不会被合并到别处。\n\n---\n\n***\n\n___\n\n第二段的内容也足够长，肯定不会被合并到别处。\n",
            ["第一段的内容足够长，肯定不会被合并到别处。", "第二段的内容也足够长，肯定不会被合并到别处。"],
            id="horizontal-rules",
        ),
        pytest.param(
            "这是**加粗**、*斜体*、`代码`和~~删除~~的一段话，足够长。\n",
            ["这是加粗、斜体、代码和删除的一段话，足够长。"],
            id="emphasis",
        ),
        pytest.param(
            "参见[Kubernetes 编排一切](/article-11565-1.html)这篇文章，写得很好。\n",
            ["参见Kubernetes 编排一切这篇文章，写得很好。"],
            id="link",
        ),
        pytest.param(
            "> \n> 在云原生技术实践峰会召开前夕，我见到了陈恺。\n> \n",
            ["在云原生技术实践峰会召开前夕，我见到了陈恺。"],
            id="quote-markers",
        ),
        pytest.param(
            "> 引用里的第一段，内容足够长，可以独立成段。\n>\n> 引用里的第二段，内容同样足够长，独立成段。\n",
            ["引用里的第一段，内容足够长，可以独立成段。", "引用里的第二段，内容同样足够长，独立成段。"],
            id="quote-paragraphs",
        ),
        pytest.param(
            "- 列表第一项写得比较长一些\n- 列表第二项也写得长一些\n",
            ["列表第一项写得比较长一些列表第二项也写得长一些"],
            id="list-marks",
        ),
        pytest.param(
            "第一行中文接着\n第二行中文，合成一段不加空格。\n",
            ["第一行中文接着第二行中文，合成一段不加空格。"],
            id="chinese-soft-break",
        ),
        pytest.param(
            "English lines are\njoined with a space here.\n",
            ["English lines are joined with a space here."],
            id="english-soft-break",
        ),
        pytest.param(
            "全角的ＡＣＰ　２．０和“引号”保持原样，不在段落里改写。\n",
            ["全角的ＡＣＰ　２．０和“引号”保持原样，不在段落里改写。"],
            id="full-width-kept-in-text",
        ),
    ],
)
def test_passage_text_has_no_markup(body: str, texts: list[str]) -> None:
    assert _texts(body) == texts


@pytest.mark.parametrize(
    ("body", "texts"),
    [
        pytest.param(
            "先安装 Helm，运行下面的命令即可完成安装：\n\n```bash\ncurl -fsSL https://get.helm.sh | bash\n\n"
            "helm version\n```\n\n安装之后就可以用 Helm 部署应用了，非常方便。\n",
            [
                "先安装 Helm，运行下面的命令即可完成安装：\n"
                "curl -fsSL https://get.helm.sh | bash\n\nhelm version",
                "安装之后就可以用 Helm 部署应用了，非常方便。",
            ],
            id="code-joins-its-lead-in-and-keeps-its-lines",
        ),
        pytest.param(
            "第一段正文足够长，后面跟着一段单独的代码。\n\n"
            "~~~\n    kubectl get pods --all-namespaces -o wide\n~~~\n",
            ["第一段正文足够长，后面跟着一段单独的代码。", "kubectl get pods --all-namespaces -o wide"],
            id="tilde-fence-dedented",
        ),
        pytest.param(
            "```\n# 这不是标题\n- 这也不是列表\n```\n",
            ["# 这不是标题\n- 这也不是列表"],
            id="markup-inside-code-is-kept",
        ),
        pytest.param(
            "这段正文足够长，下面的代码块没有结束标记。\n\n```\necho 从这里一直到文件结尾都算是代码\n",
            ["这段正文足够长，下面的代码块没有结束标记。", "echo 从这里一直到文件结尾都算是代码"],
            id="unclosed-fence-runs-to-the-end",
        ),
        pytest.param(
            '<div class="note">注意：<b>Helm v3</b> 不再需要 Tiller 组件了&amp;。</div>\n',
            ["注意：Helm v3 不再需要 Tiller 组件了&。"],
            id="html-tags-dropped-entities-decoded",
        ),
        pytest.param(
            "正文<!-- 编者注 -->继续，足够长的一段话。<script>alert(1)</script>\n",
            ["正文继续，足够长的一段话。"],
            id="html-comments-and-scripts-dropped",
        ),
        pytest.param(
            "比较大小时 a < b 而且 c > d 都是正文，不是标签。\n",
            ["比较大小时 a < b 而且 c > d 都是正文，不是标签。"],
            id="angle-brackets-in-text-kept",
        ),
        pytest.param(
            "| 产品 | 定位 |\n|:---|---:|\n| ACP | 云原生应用赋能平台 |\n| **ACE 3.0** | 企业技术中台 |\n",
            ["产品：ACP；定位：云原生应用赋能平台。产品：ACE 3.0；定位：企业技术中台。"],
            id="table-rows-become-sentences",
        ),
        pytest.param(
            "| 命令 | 说明 |\n|-|:-|\n| `a \\| b` | 管道 |\n",
            ["命令：a | b；说明：管道。"],
            id="table-short-rule-and-escaped-pipe",
        ),
        pytest.param(
            "用 `<script>` 标签引入脚本，还有 ```ls``` 列出文件，这里都是正文。\n\n"
            "后面的这一段正文也写得足够长，不会被合并。\n",
            ["用 <script> 标签引入脚本，还有 ls 列出文件，这里都是正文。",
             "后面的这一段正文也写得足够长，不会被合并。"],
            id="tags-in-code-spans-and-backticks-that-open-no-fence",
        ),
        pytest.param(
            "第一行<br>second line，还有一些足够长的文字。\n",
            ["第一行 second line，还有一些足够长的文字。"],
            id="line-break-tag-separates",
        ),
        pytest.param(
            "解析器读不懂的 a <![ b 原样保留，足够长的一段。\n",
            ["解析器读不懂的 a <![ b 原样保留，足够长的一段。"],
            id="html-the-parser-gives-up-on-is-kept",
        ),
        pytest.param(
            "运行下面的命令即可完成整个安装过程：\n\n```\nhelm install\n```\n\n短句。\n",
            ["运行下面的命令即可完成整个安装过程：\nhelm install\n短句。"],
            id="text-after-code-starts-a-new-line",
        ),
        pytest.param(
            "> 引用里的一段正文，后面跟着引用里的代码块。\n>\n> ```\n> # 不是标题\n> x = 1\n> ```\n",
            ["引用里的一段正文，后面跟着引用里的代码块。\n# 不是标题\nx = 1"],  # short code joins it
            id="fence-in-a-quote",
        ),
        pytest.param(
            "1. 第一步先安装这个工具，命令如下所示：\n\n    ```bash\n    pip install qa\n    ```\n",
            ["第一步先安装这个工具，命令如下所示：\npip install qa"],
            id="fence-in-a-list-item",
        ),
    ],
)
def test_code_html_and_tables(body: str, texts: list[str]) -> None:
    assert _texts(body) == texts


def test_autolinks_are_links() -> None:
    passages = _chunk("项目主页是 <https://github.com/alauda/kube-ovn>，欢迎参与贡献。\n")
    assert passages[0].text == "项目主页是 https://github.com/alauda/kube-ovn，欢迎参与贡献。"
    assert passages[0].links == ["https://github.com/alauda/kube-ovn"]


def test_link_definitions_with_titles_commonmark_cannot_parse_make_no_passage() -> None:
    # As in the 2019 archive: a title with nested parentheses made this
    # definition, and every one below it, a paragraph of URLs, and the image
    # that uses [14] its literal source.
    body = ("看看[官方键盘][9]。\n\n![Raspberry Pi 4 with 4GB of RAM][14]\n\n"
            "树莓派 4 的性能令人印象深刻。\n\n"
            "[9]: https://example.org/keyboard.jpg (Official keyboard (with YubiKey plugged in) and mouse.)\n"
            "[14]: https://example.org/ram.jpg (Raspberry Pi 4 with 4GB of RAM)\n\n"
            "```\n[1]: https://example.org (code keeps its lines (all of them))\n```\n")
    passages = _chunk(body)
    assert [p.text for p in passages] == [
        "看看官方键盘。树莓派 4 的性能令人印象深刻。",  # two short paragraphs, joined
        "[1]: https://example.org (code keeps its lines (all of them))"]
    assert passages[0].links == ["https://example.org/keyboard.jpg"]


def test_code_span_covers_the_fences() -> None:
    body = "```\necho hello world, this is code\n```\n"
    article = _article(body)
    [passage] = chunk_article(article, ChunkSettings())
    start, end = passage.span
    assert article.source[start:end] == body


def test_strip_markup_keeps_link_targets_and_drops_images() -> None:
    text, links = strip_markup('看[这篇](https://e.org/a "标题")和![图](/p.png)以及[空]()。')
    assert text == "看这篇和以及空。"
    assert links == ["https://e.org/a"]


def test_link_targets_are_kept_in_links() -> None:
    passages = _chunk("参见[Kubernetes 编排一切](/article-11565-1.html)和[官网](https://k8s.io)两处。\n")
    assert [p.links for p in passages] == [["/article-11565-1.html", "https://k8s.io"]]
    assert "](" not in passages[0].text and "http" not in passages[0].text


def test_headings_become_sections_and_are_not_passages() -> None:
    body = (
        "开头没有标题的一段话，也应该成为一个段落。\n\n"
        "# 文章大标题\n\n## 第一节 **重点**\n\n第一节下面的段落，内容足够长。\n\n"
        "### 第二节 ###\n第二节紧跟在标题下的段落，内容足够长。\n"
    )
    passages = _chunk(body)
    assert [(p.section, p.text) for p in passages] == [
        (None, "开头没有标题的一段话，也应该成为一个段落。"),
        ("第一节 重点", "第一节下面的段落，内容足够长。"),
        ("第二节", "第二节紧跟在标题下的段落，内容足够长。"),
    ]
    assert not any("#" in p.text or p.text == "标题" for p in passages)


@pytest.mark.parametrize("underline", ["===", "---", "------"])
def test_setext_headings_become_sections(underline: str) -> None:
    body = (f"开头的一段话，内容足够长，独立成段。\n\n第一节\n{underline}\n\n"
            f"第一节下面的段落，内容足够长，独立成段。\n")
    assert [(p.section, p.text) for p in _chunk(body)] == [
        (None, "开头的一段话，内容足够长，独立成段。"),
        ("第一节", "第一节下面的段落，内容足够长，独立成段。"),
    ]


@pytest.mark.parametrize("heading", ["灵雀云专访\n======\n", "# 灵雀云专访\n"])
def test_a_first_level_heading_that_opens_the_body_is_the_title_not_a_section(heading: str) -> None:
    article = _article(f"{heading}\n第一段话，内容足够长，独立成段。\n", "---\n---\n")
    assert article.title == "灵雀云专访"
    passages = chunk_article(article)
    assert [(p.section, p.text) for p in passages] == [(None, "第一段话，内容足够长，独立成段。")]


def test_underscores_inside_words_are_not_emphasis() -> None:
    # CommonMark: `_` between letters is a literal underscore, not emphasis
    text = "配置项 max_body_bytes 和 snake_case_name 都是标识符，原样保留。"
    assert _texts(text + "\n") == [text]
    assert _texts("这里的 _强调_ 和 __加粗__ 仍然去掉标记，句子足够长。\n") == [
        "这里的 强调 和 加粗 仍然去掉标记，句子足够长。"
    ]


def test_fixture_article_sections(fixture_settings: Settings) -> None:
    path = fixture_settings.corpus_dir / "cloud-native.md"
    article = parse_article(path, path.read_text(encoding="utf-8"), SITE)
    passages = chunk_article(article)
    assert [(p.id, p.section) for p in passages] == [
        ("cloud-native#p1", "什么是 Kubernetes"),
        ("cloud-native#p2", "什么是 Kubernetes"),
        ("cloud-native#p3", "服务网格"),
    ]


# --- empty articles -------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("", id="empty-file"),
        pytest.param("---\ntitle: 只有前言\nauthor: 某人\n---\n", id="front-matter-only"),
        pytest.param("---\ntitle: 只有前言\n---", id="front-matter-without-final-newline"),
        pytest.param("\n\n   \n", id="blank-lines"),
    ],
)
def test_article_without_body_has_no_passages(source: str) -> None:
    # corpus_documents reports such a file (ingest/test_articles.py); the chunker makes nothing of it.
    assert chunk_article(parse_article(Path("empty.md"), source, SITE)) == []


# --- short fragments --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "texts"),
    [
        pytest.param(
            "这是第一段，内容足够长，不会被合并到别处。\n\n短句。\n",
            ["这是第一段，内容足够长，不会被合并到别处。短句。"],
            id="joins-previous",
        ),
        pytest.param(
            "短句。\n\n这是后面的一段，内容足够长，不会被合并。\n",
            ["短句。这是后面的一段，内容足够长，不会被合并。"],
            id="first-joins-next",
        ),
        pytest.param(
            "技术栈分为三层：\n\n第一层是 ACP 2.0，第二层是 Helm v3，用户有 100+ 家。\n",
            ["技术栈分为三层：第一层是 ACP 2.0，第二层是 Helm v3，用户有 100+ 家。"],
            id="colon-joins-next",
        ),
        pytest.param(
            "这是第一段，内容足够长，不会被合并到别处。\n\n分为三层：\n\n第一层、第二层、第三层，各有分工。\n",
            ["这是第一段，内容足够长，不会被合并到别处。", "分为三层：第一层、第二层、第三层，各有分工。"],
            id="colon-joins-next-not-previous",
        ),
        pytest.param(
            "Short one.\n\nThis paragraph is long enough to stand alone.\n",
            ["Short one. This paragraph is long enough to stand alone."],
            id="english-join-with-space",
        ),
        pytest.param(
            "## 甲\n\n第一节的段落，内容足够长，独立成段。\n\n## 乙\n\n短句。\n",
            ["第一节的段落，内容足够长，独立成段。", "短句。"],
            id="not-across-sections",
        ),
        pytest.param(
            "## 甲\n\n第一节的段落，内容足够长，独立成段。\n\n"
            "## 乙\n\n短句。\n\n第二节的段落，内容也足够长，成段。\n",
            ["第一节的段落，内容足够长，独立成段。", "短句。第二节的段落，内容也足够长，成段。"],
            id="joins-next-in-own-section",
        ),
    ],
)
def test_tiny_fragments_merge_with_a_neighbour_in_the_same_section(body: str, texts: list[str]) -> None:
    assert _texts(body) == texts


INTRO = "这是开头的一段介绍，内容足够长，独立成段。"
REPLY = "张三说：“普洱茶产于云南南部，已有上千年历史。”"


@pytest.mark.parametrize("turn", ["记者：普洱茶产在哪里？", "**普洱茶产在哪里？**", "问：然后呢？",
                                  "张三：是的。", "Q: Why?"])
def test_a_short_turn_of_a_conversation_keeps_its_own_passage(turn: str) -> None:
    body = f"{INTRO}\n\n{turn}\n\n{REPLY}\n"
    assert _texts(body) == [INTRO, strip_markup(turn)[0], REPLY]


def test_a_merged_paragraph_ends_its_sentence_without_a_full_stop() -> None:
    # The interview's "……她帮我们照的。 :D" and the short "滥觞始于云计算。" after it.
    body = "虽然是初次相识，这张合影就是她帮我们照的。 :D\n\n滥觞始于云计算。\n"
    (passage,) = _chunk(body)
    assert [passage.text[s:e] for s, e in sentence_spans(passage.text)] == [
        "虽然是初次相识，这张合影就是她帮我们照的。", ":D", "滥觞始于云计算。"]


def test_merged_fragment_span_covers_both_paragraphs() -> None:
    body = "技术栈分为三层：\n\n第一层是 ACP 2.0，第二层是 Helm v3，用户有 100+ 家。\n"
    article = _article(body)
    (passage,) = chunk_article(article)
    start, end = passage.span
    assert article.source[start:end] == body


# --- ids and spans -----------------------------------------------------------------------

BODY = (
    "## 第一节\n\n第一段话，内容足够长，肯定不会被合并到别处去。\n\n"
    "第二段有**加粗**和[链接](https://e.org)，内容也足够长，独立成段。\n\n"
    "> 第三段是引用，内容也足够长，可以独立成段。\n\n"
    "## 第二节\n\n" + "很长的句子内容，写了又写。" * 10 + "\n"
)


def test_ids_are_article_id_and_paragraph_ordinal() -> None:
    passages = _chunk(BODY, max_chars=60)
    assert [p.id for p in passages] == ["doc#p1", "doc#p2", "doc#p3", "doc#p4.1", "doc#p4.2", "doc#p4.3"]
    assert [p.paragraph for p in passages] == [1, 2, 3, 4, 4, 4]
    assert {p.article_id for p in passages} == {"doc"}


def test_rechunking_gives_the_same_ids_and_texts() -> None:
    first = _chunk(BODY, max_chars=60)
    again = _chunk(BODY, max_chars=60)
    assert [(p.id, p.text, p.span) for p in first] == [(p.id, p.text, p.span) for p in again]


def test_spans_index_into_the_source_file() -> None:
    article = _article(BODY)
    passages = chunk_article(article, ChunkSettings(max_chars=60))
    raw = {
        "doc#p1": "第一段话，内容足够长，肯定不会被合并到别处去。",
        "doc#p2": "第二段有**加粗**和[链接](https://e.org)，内容也足够长，独立成段。",
        "doc#p3": "> 第三段是引用，内容也足够长，可以独立成段。",
        "doc#p4.1": "很长的句子内容，写了又写。" * 10,
        "doc#p4.3": "很长的句子内容，写了又写。" * 10,
    }
    assert [p.id for p in passages] == ["doc#p1", "doc#p2", "doc#p3", "doc#p4.1", "doc#p4.2", "doc#p4.3"]
    for passage in passages:
        start, end = passage.span
        assert article.body_start <= start < end <= len(article.source)
        if passage.id in raw:
            assert raw[passage.id] in article.source[start:end]
            assert article.source[start:end].strip() == raw[passage.id]


def _is_subsequence(short: str, long: str) -> bool:
    chars = iter(long)
    return all(c in chars for c in short)


def test_spans_of_the_seed_interview_hold_each_passage() -> None:
    # Markup removal only deletes characters, so a passage's text (white space
    # aside) is a subsequence of the source text its span points at.
    path = Path(__file__).resolve().parents[2] / "fixtures" / "seed" / "alauda-chenkai-interview.md"
    article = parse_article(path, path.read_text(encoding="utf-8"), SITE)
    passages = chunk_article(article)
    assert len(passages) > 20
    for passage in passages:
        start, end = passage.span
        assert _is_subsequence(
            squash_whitespace(passage.text), squash_whitespace(article.source[start:end])
        ), passage.id
    assert any("ACP 2.0 是把整个平台都做成" in p.text for p in passages)


# --- CommonMark: the spec's own examples ----------------------------------------------
# Markdown taken verbatim from the examples of the CommonMark spec 0.31.2
# (https://spec.commonmark.org/0.31.2/, ids give the example number); the
# passages are the text a reader sees in the spec's HTML, one per block
# (min_chars=1, so that no fragment joins a neighbour).


@pytest.mark.parametrize(
    ("markdown", "texts"),
    [
        # nested lists: the items of a tight list read as one block, a loose list's as paragraphs
        pytest.param("- a\n - b\n  - c\n   - d\n  - e\n - f\n- g\n", ["a b c d e f g"],
                     id="spec-310-list-siblings"),
        pytest.param("- foo\n  - bar\n    - baz\n\n\n      bim\n", ["foo bar", "baz", "bim"],
                     id="spec-307-tight-list-around-a-loose-one"),
        pytest.param("- a\n  - b\n  - c\n\n- d\n  - e\n  - f\n", ["a", "b c", "d", "e f"],
                     id="spec-326-loose-list-around-tight-ones"),
        pytest.param("- a\n- b\n\n  c\n- d\n", ["a", "b", "c", "d"], id="spec-316-blank-line-makes-it-loose"),
        pytest.param("The number of windows in my house is\n14.  The number of doors is 6.\n",
                     ["The number of windows in my house is 14.  The number of doors is 6."],
                     id="spec-304-number-in-a-paragraph-is-text"),
        pytest.param("The number of windows in my house is\n1.  The number of doors is 6.\n",
                     ["The number of windows in my house is", "The number of doors is 6."],
                     id="spec-305-list-interrupts-a-paragraph"),
        # block quotes: nested, lazy continuation
        pytest.param("> bar\nbaz\n> foo\n", ["bar baz foo"], id="spec-233-lazy-continuation"),
        pytest.param("> - foo\n- bar\n", ["foo", "bar"], id="spec-235-no-laziness-for-a-list"),
        pytest.param("> foo\n>\n> bar\n", ["foo", "bar"], id="spec-244-paragraphs-in-a-quote"),
        pytest.param("> bar\n>\nbaz\n", ["bar", "baz"], id="spec-249-quote-ends-at-blank-line"),
        pytest.param("> > > foo\nbar\n", ["foo bar"], id="spec-250-nested-quotes-lazy-line"),
        pytest.param(">>> foo\n> bar\n>>baz\n", ["foo bar baz"], id="spec-251-nested-quotes"),
        pytest.param("> aaa\n***\n> bbb\n", ["aaa", "bbb"], id="spec-246-rule-between-quotes"),
        # HTML blocks: tags dropped, raw text kept as text, script/style/comments dropped
        pytest.param('<DIV CLASS="foo">\n\n*Markdown*\n\n</DIV>\n', ["Markdown"],
                     id="spec-152-markdown-between-tags"),
        pytest.param("<div>\n*foo*\n\n*bar*\n", ["*foo*", "bar"], id="spec-155-html-block-is-raw"),
        pytest.param(
            '<script type="text/javascript">\n// JavaScript example\n\n'
            'document.getElementById("demo").innerHTML = "Hello JavaScript!";\n</script>\nokay\n',
            ["okay"], id="spec-170-script-block",
        ),
        pytest.param('<style\n  type="text/css">\nh1 {color:red;}\n\np {color:blue;}\n</style>\nokay\n',
                     ["okay"], id="spec-172-style-block"),
        pytest.param("<!-- Foo\n\nbar\n   baz -->\nokay\n", ["okay"], id="spec-179-comment-block"),
        pytest.param("Foo\n<div>\nbar\n</div>\n", ["Foo", "bar"], id="spec-185-div-interrupts-a-paragraph"),
        pytest.param('Foo\n<a href="bar">\nbaz\n', ["Foo baz"], id="spec-187-inline-tag-does-not"),
        # inline HTML
        pytest.param('Foo <responsive-image src="foo.jpg" />\n', ["Foo"], id="spec-617-custom-element"),
        pytest.param("<33> <__>\n", ["<33> <__>"], id="spec-618-not-tags-are-text"),
        pytest.param("foo <!-- this is a --\ncomment - with hyphens -->\n", ["foo"], id="spec-625-comment"),
        pytest.param("foo <?php echo $a; ?>\n", ["foo"], id="spec-627-processing-instruction"),
        pytest.param("foo <![CDATA[>&<]]>\n", ["foo"], id="spec-629-cdata"),
        # link reference definitions are not passages
        pytest.param("[foo]: /url\n", [], id="spec-207-definition-alone"),
        pytest.param("[foo]: /url 'title\n\nwith blank line'\n\n[foo]\n",
                     ["[foo]: /url 'title", "with blank line'", "[foo]"], id="spec-197-not-a-definition"),
        pytest.param("Foo\n[bar]: /baz\n\n[bar]\n", ["Foo [bar]: /baz", "[bar]"],
                     id="spec-213-definition-cannot-interrupt-a-paragraph"),
        # setext headings are not passages; what only looks like one is text
        pytest.param("Foo\nbar\n\n---\n\nbaz\n", ["Foo bar", "baz"], id="spec-104-rule-after-blank-line"),
        pytest.param("Foo\nbar\n\\---\nbaz\n", ["Foo bar --- baz"], id="spec-106-escaped-underline"),
        pytest.param("> Foo\n---\n", ["Foo"], id="spec-92-rule-after-quote"),
        pytest.param("> foo\nbar\n===\n", ["foo bar ==="], id="spec-93-no-heading-in-lazy-line"),
        # hard line breaks separate words, like <br>
        pytest.param("foo  \nbaz\n", ["foo baz"], id="spec-633-two-spaces"),
        pytest.param("foo\\\nbaz\n", ["foo baz"], id="spec-634-backslash"),
        pytest.param("*foo  \nbar*\n", ["foo bar"], id="spec-638-inside-emphasis"),
        pytest.param("`code  \nspan`\n", ["code   span"], id="spec-640-not-in-code-span"),
        pytest.param("foo\\\n", ["foo\\"], id="spec-644-not-at-paragraph-end"),
        # entities are decoded, except in code
        pytest.param("&#35; &#1234; &#992; &#0;\n", ["# Ӓ Ϡ �"], id="spec-26-decimal"),
        pytest.param("&#X22; &#XD06; &#xcab;\n", ['" ആ ಫ'], id="spec-27-hexadecimal"),
        pytest.param("&copy\n", ["&copy"], id="spec-29-not-an-entity"),
        pytest.param("`f&ouml;&ouml;`\n", ["f&ouml;&ouml;"], id="spec-35-not-in-code-span"),
        pytest.param("&#42;foo&#42;\n*foo*\n", ["*foo* foo"], id="spec-37-entity-is-not-markup"),
        pytest.param("&#42; foo\n\n* foo\n", ["* foo", "foo"], id="spec-38-entity-is-not-a-list-mark"),
    ],
)
def test_commonmark_spec_examples_become_passages(markdown: str, texts: list[str]) -> None:
    assert _texts(markdown, min_chars=1) == texts


@pytest.mark.parametrize(
    ("markdown", "passages"),
    [
        # reference links: the definition's target is kept in `links`
        pytest.param('[foo]: /url "title"\n\n[foo]\n', [(None, "foo", ["/url"])], id="spec-192-shortcut"),
        pytest.param('[foo][bar]\n\n[bar]: /url "title"\n', [(None, "foo", ["/url"])], id="spec-527-full"),
        pytest.param('[foo][]\n\n[foo]: /url "title"\n', [(None, "foo", ["/url"])], id="spec-553-collapsed"),
        pytest.param('[foo][BaR]\n\n[bar]: /url "title"\n', [(None, "foo", ["/url"])],
                     id="spec-539-labels-ignore-case"),
        pytest.param("[foo]: /url1\n\n[foo]: /url2\n\n[bar][foo]\n", [(None, "bar", ["/url1"])],
                     id="spec-544-first-definition-wins"),
        pytest.param("[foo]\n\n> [foo]: /url\n", [(None, "foo", ["/url"])],
                     id="spec-218-definition-in-a-quote"),
        pytest.param(
            '[foo]: /foo-url "foo"\n[bar]: /bar-url\n  "bar"\n[baz]: /baz-url\n\n[foo],\n[bar],\n[baz]\n',
            [(None, "foo, bar, baz", ["/foo-url", "/bar-url", "/baz-url"])],
            id="spec-217-several-definitions",
        ),
        pytest.param("[foo](/f&ouml;&ouml; \"f&ouml;&ouml;\")\n", [(None, "foo", ["/f%C3%B6%C3%B6"])],
                     id="spec-32-entity-in-link-target"),
        pytest.param("[![moon](moon.jpg)][ref]\n\n[ref]: /uri\n", [], id="spec-531-image-only-link"),
        # setext headings become sections
        pytest.param("---\nFoo\n---\nBar\n---\nBaz\n", [("Bar", "Baz", [])],
                     id="spec-96-headings-and-a-rule"),
        pytest.param("Foo\n\nbar\n---\nbaz\n", [(None, "Foo", []), ("bar", "baz", [])],
                     id="spec-103-heading-after-blank-line"),
        pytest.param("[foo]: /url\nbar\n===\n[foo]\n", [("bar", "foo", ["/url"])],
                     id="spec-215-definition-then-heading"),
        pytest.param("> # Foo\n> bar\n> baz\n", [("Foo", "bar baz", [])], id="spec-228-heading-in-a-quote"),
    ],
)
def test_commonmark_spec_examples_keep_sections_and_link_targets(
    markdown: str, passages: list[tuple[str | None, str, list[str]]]
) -> None:
    assert [(p.section, p.text, p.links) for p in _chunk(markdown, min_chars=1)] == passages


# --- CommonMark constructs in Chinese articles ------------------------------------------


@pytest.mark.parametrize(
    ("body", "texts"),
    [
        pytest.param(
            "技术栈分为三层：\n\n- 最底层是 Kubernetes 发行版，与社区保持兼容；\n"
            "- 再往上是 ACP，定位是云原生应用赋能平台；\n  - 包含容器平台等子产品；\n"
            "- 最上层是 ACE 3.0，一个企业级的 PaaS 平台。\n",
            ["技术栈分为三层：最底层是 Kubernetes 发行版，与社区保持兼容；"
             "再往上是 ACP，定位是云原生应用赋能平台；包含容器平台等子产品；"
             "最上层是 ACE 3.0，一个企业级的 PaaS 平台。"],
            id="tight-list-is-one-block-with-its-lead-in",
        ),
        pytest.param(
            "1. 第一步，安装 Helm 客户端，并且确认版本号正确。\n\n"
            "2. 第二步，添加灵雀云的 Chart 仓库，然后更新索引。\n",
            ["第一步，安装 Helm 客户端，并且确认版本号正确。",
             "第二步，添加灵雀云的 Chart 仓库，然后更新索引。"],
            id="loose-list-items-are-paragraphs",
        ),
        pytest.param(
            "安装完成以后，运行下面的命令检查版本：\n\n    helm version\n      --short\n",
            ["安装完成以后，运行下面的命令检查版本：\nhelm version\n  --short"],
            id="indented-code-keeps-its-lines-and-joins-its-lead-in",
        ),
        pytest.param(
            "> 陈恺说，“Kubernetes 的生态\n已经赢了。”这一段引用足够长。\n",
            ["陈恺说，“Kubernetes 的生态已经赢了。”这一段引用足够长。"],
            id="lazy-quote-line-joins-without-a-space",
        ),
        pytest.param(
            "地址：北京市海淀区  \n电话：010-12345678，欢迎来访。\n",
            ["地址：北京市海淀区 电话：010-12345678，欢迎来访。"],
            id="hard-break-separates-like-br",
        ),
        pytest.param(
            "灵雀云<sup>1</sup>的<span style=\"color:red\">容器平台</span>，这是足够长的一段话。\n",
            ["灵雀云1的容器平台，这是足够长的一段话。"],
            id="inline-html-tags-dropped",
        ),
        pytest.param(
            "\\*号不是强调，\\# 不是标题，&lt;b&gt; 也不是标签，足够长。\n",
            ["*号不是强调，# 不是标题，<b> 也不是标签，足够长。"],
            id="escapes-and-entities-are-text",
        ),
        pytest.param(
            "[^1]: 只有脚注，没有正文，脚注的内容也写得足够长。\n",
            ["只有脚注，没有正文，脚注的内容也写得足够长。"],
            id="footnote-label-is-not-text",
        ),
    ],
)
def test_commonmark_blocks_in_chinese_articles(body: str, texts: list[str]) -> None:
    assert _texts(body) == texts


def test_reference_links_keep_their_targets() -> None:
    body = (
        "详见[官方文档][docs]和[项目主页]，两处都写得很清楚。\n\n"
        "[docs]: https://kubernetes.io/zh/docs/\n"
        '[项目主页]: <https://github.com/alauda/kube-ovn> "Kube-OVN"\n'
    )
    [passage] = _chunk(body)
    assert passage.text == "详见官方文档和项目主页，两处都写得很清楚。"
    assert passage.links == ["https://kubernetes.io/zh/docs/", "https://github.com/alauda/kube-ovn"]


def test_unsafe_link_keeps_its_text_but_not_its_target() -> None:
    [passage] = _chunk("点[这里](javascript:alert(1))查看详情，这段话足够长。\n")
    assert passage.text == "点这里查看详情，这段话足够长。"
    assert passage.links == []


def test_footnotes_are_passages_in_the_section_they_are_defined_in() -> None:
    body = (
        "## 开源\n\n灵雀云开源了 Kube-OVN[^ovn]，这是一段足够长的正文。\n\n"
        "[^ovn]: 基于 OVN 的 Kubernetes 网络插件，这是脚注的内容。\n\n"
        "## 尾声\n\n最后一段正文写得足够长，但是脚注[^9]没有定义。\n\n"
        "[^unused]: 没有被引用的脚注，也照样成为一个独立的段落。\n"
    )
    assert [(p.section, p.text) for p in _chunk(body)] == [
        ("开源", "灵雀云开源了 Kube-OVN，这是一段足够长的正文。"),
        ("开源", "基于 OVN 的 Kubernetes 网络插件，这是脚注的内容。"),
        ("尾声", "最后一段正文写得足够长，但是脚注[^9]没有定义。"),  # undefined: text, as on the page
        ("尾声", "没有被引用的脚注，也照样成为一个独立的段落。"),
    ]


def test_footnote_with_several_blocks() -> None:
    # the example of the markdown-it footnote plugin (after pandoc's)
    body = (
        "Here is a footnote reference,[^1] and another.[^longnote]\n\n"
        "[^1]: Here is the footnote.\n\n"
        "[^longnote]: Here's one with multiple blocks.\n\n"
        "    Subsequent paragraphs are indented to show that they\nbelong to the previous footnote.\n"
    )
    assert _texts(body, min_chars=1) == [
        "Here is a footnote reference, and another.",
        "Here is the footnote.",
        "Here's one with multiple blocks.",
        "Subsequent paragraphs are indented to show that they belong to the previous footnote.",
    ]


def test_spans_of_blocks_in_quotes_lists_and_footnotes_cover_their_lines() -> None:
    quote = "> 引用的第一行，\n懒惰续行也属于这段引用，足够长。\n"
    tight_list = "- 列表项写得足够长，足够独立成为一个段落。\n  - 嵌套的一项\n- 第二项\n"
    footnote = "[^1]: 脚注的内容写得足够长，也能独立成为一个段落。\n"
    article = _article(f"{quote}\n{tight_list}\n{footnote}")
    passages = chunk_article(article)
    assert [article.source[slice(*p.span)] for p in passages] == [quote, tight_list, footnote]


def test_spans_count_crlf_line_ends() -> None:
    first = "第一段的内容足够长，肯定不会被合并到别处。\r\n"
    second = "第二段的内容也足够长，肯定不会被合并到别处。\r\n"
    article = _article(first + "\r\n" + second, front="---\r\ntitle: 测试文章\r\n---\r\n")
    passages = chunk_article(article)
    assert [p.text for p in passages] == [first.strip(), second.strip()]
    assert [article.source[slice(*p.span)] for p in passages] == [first, second]


def test_a_paragraph_of_addresses_alone_is_kept_as_code_not_prose() -> None:
    passages = _chunk("视频演示如下，作者在其中一步步安装了整个系统：\n\nhttps://youtu.be/kZPtFMWsyv4\n\n"
                      "安装完成后，重启电脑即可进入新的桌面环境，所有软件都已经准备就绪。\n")
    [video] = [p for p in passages if "youtu.be" in p.text]
    sentences = sentence_spans(video.text)
    url_sentence = next(n for n, (s, e) in enumerate(sentences) if "youtu.be" in video.text[s:e])
    assert url_sentence in video.code  # context, never the answer sentence
    assert not any(p.code for p in passages if "youtu.be" not in p.text)  # prose stays prose

"""qa.chunker: Markdown article → paragraph passages."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.chunker import ChunkSettings, Passage, chunk_article, split_long, strip_markup
from qa.corpus import parse_article
from qa.settings import Settings
from qa.text import squash_whitespace

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
    body = f"第一节\n{underline}\n\n第一节下面的段落，内容足够长，独立成段。\n"
    assert [(p.section, p.text) for p in _chunk(body)] == [
        ("第一节", "第一节下面的段落，内容足够长，独立成段。")
    ]


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
    # load_corpus reports such a file (test_corpus.py); the chunker alone makes nothing of it.
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
    path = Path(__file__).resolve().parents[2] / "corpus" / "alauda-chenkai-interview.md"
    article = parse_article(path, path.read_text(encoding="utf-8"), SITE)
    passages = chunk_article(article)
    assert len(passages) > 20
    for passage in passages:
        start, end = passage.span
        assert _is_subsequence(
            squash_whitespace(passage.text), squash_whitespace(article.source[start:end])
        ), passage.id
    assert any("ACP 2.0 是把整个平台都做成" in p.text for p in passages)

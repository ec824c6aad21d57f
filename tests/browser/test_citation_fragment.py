"""A citation followed from the widget lands on the answering sentence: its
text fragment (`#:~:text=start,end`) scrolls a local copy of the published
page to the sentence and highlights it, in headless Chromium."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import TARGET_TEXT_COLOUR
from tests.browser.test_widget import ask, open_chat

pytestmark = [pytest.mark.browser, pytest.mark.model]

QUESTION = "ACP 2.0 是什么？"
EDGE = 4  # CSS pixels around the sentence's box that count as the sentence's

# Where the sentence is drawn, in viewport coordinates: the text nodes of the
# page joined, the sentence found in them, a Range over it. null when the page
# does not hold it.
SENTENCE_BOX = """sentence => {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const starts = [];
    let text = "";
    while (walker.nextNode()) {
        starts.push([walker.currentNode, text.length]);
        text += walker.currentNode.data;
    }
    const at = text.indexOf(sentence);
    if (at < 0) return null;
    const place = offset => {
        const [node, from] = starts.findLast(([, from]) => from <= offset);
        return [node, offset - from];
    };
    const range = document.createRange();
    range.setStart(...place(at));
    range.setEnd(...place(at + sentence.length));
    const box = range.getBoundingClientRect();
    return {top: box.top, bottom: box.bottom, left: box.left, width: box.width, height: box.height,
            viewport: window.innerHeight, scrolled: window.scrollY};
}"""
IN_VIEW = f"""sentence => {{
    const box = ({SENTENCE_BOX})(sentence);
    return box !== null && box.top >= 0 && box.bottom <= box.viewport;
}}"""
# How often `term` occurs in the page's text before `sentence` does.
EARLIER_MATCHES = """([term, sentence]) => {
    const text = document.body.innerText, before = text.slice(0, text.indexOf(sentence));
    return before.split(term).length - 1;
}"""
# Counts the pixels of one colour in a PNG, decoded by the browser itself.
COLOUR_PIXELS = """async ([png, [red, green, blue]]) => {
    const image = new Image();
    image.src = "data:image/png;base64," + png;
    await image.decode();
    const canvas = new OffscreenCanvas(image.width, image.height);
    const context = canvas.getContext("2d");
    context.drawImage(image, 0, 0);
    const data = context.getImageData(0, 0, image.width, image.height).data;
    let count = 0;
    for (let i = 0; i < data.length; i += 4)
        if (data[i] === red && data[i + 1] === green && data[i + 2] === blue) count++;
    return count;
}"""


def fragment_terms(url: str) -> list[str]:
    """The decoded terms of the URL's `:~:text=` directive (start, and end if any)."""
    fragment = urlsplit(url).fragment
    assert fragment.startswith(":~:text="), f"the citation has no text fragment: {url}"
    return [unquote(term) for term in fragment.removeprefix(":~:text=").split(",")]


def sentence_box(page: Page, sentence: str) -> dict:
    box = page.evaluate(SENTENCE_BOX, sentence)
    assert box is not None, f"the page {page.url} does not hold the sentence {sentence!r}"
    return box


def colour_pixels(page: Page, clip: dict | None = None) -> int:
    """Pixels of the page's ::target-text colour in the viewport (or the clip), as drawn."""
    png = base64.b64encode(page.screenshot(clip=clip)).decode()
    return page.evaluate(COLOUR_PIXELS, [png, list(TARGET_TEXT_COLOUR)])


def scrolled_into_view(page: Page, sentence: str) -> bool:
    try:
        page.wait_for_function(IN_VIEW, arg=sentence, timeout=10_000)
    except PlaywrightTimeout:
        return False
    return True


def test_top_citation_scrolls_the_published_page_to_the_answering_sentence_and_highlights_it(
        new_page, cited_server: str, artifacts: Path):
    answer = httpx.post(f"{cited_server}/api/ask", json={"question": QUESTION}, timeout=30).json()
    top = answer["passages"][0]
    start, end = top["highlights"][0]  # the citation lands on the first answering sentence
    sentence = top["text"][start:end]
    terms = fragment_terms(top["citation"]["url"])
    missing = [term for term in terms if term not in top["text"]]
    assert not missing, f"fragment terms {missing} are not in the passage {top['id']}: {top['text']}"

    plain = new_page()
    plain.goto(top["citation"]["article_url"])
    unscrolled = sentence_box(plain, sentence)
    assert unscrolled["top"] > unscrolled["viewport"], f"the sentence is not below the fold: {unscrolled}"
    earlier = plain.evaluate(EARLIER_MATCHES, [terms[0], sentence])

    page = new_page()
    open_chat(page, cited_server)
    reply = ask(page, QUESTION)
    with page.context.expect_page() as opened:
        reply.locator("ol > li").first.locator("a").click()  # a real click: the user activation
    source = opened.value
    source.wait_for_load_state()
    assert source.url == top["citation"]["url"]

    in_view = scrolled_into_view(source, sentence)
    source.screenshot(path=artifacts / "citation-text-fragment.png")
    box = sentence_box(source, sentence)
    assert in_view, (f"following {source.url} did not bring the answering sentence {sentence!r} into view "
                     f"(its box: {box}); the fragment's start {terms[0]!r} occurs {earlier} time(s) on the "
                     "page before the sentence, and the browser matches the first")
    # The box's edges fall between pixels; the clip takes them in, with a little room.
    clip = {"x": box["left"] - EDGE, "y": box["top"] - EDGE, "width": box["width"] + 2 * EDGE,
            "height": box["height"] + 2 * EDGE}
    marked = colour_pixels(source, clip)
    assert marked > 0, "the sentence is in view but not highlighted by ::target-text"
    assert colour_pixels(source) == marked, "::target-text highlights more than the sentence"

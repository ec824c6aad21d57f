"""The chat widget on the demo page, in headless Chromium, against the real
server over the seed interview."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Locator, Page, Route, expect

pytestmark = [pytest.mark.browser, pytest.mark.model]

ARTICLE_URL = "https://linux.cn/article-11563-1.html"
NO_ANSWER = "文章中没有找到这个问题的答案。"
UNANSWERABLE = "火星的大气层主要由什么组成？"  # the interview never mentions Mars
HOTPINK = "rgb(255, 105, 180)"  # the demo page's own button colour


def open_chat(page: Page, base_url: str) -> Locator:
    page.goto(base_url + "/")
    page.get_by_role("button", name="打开文章问答").click()
    box = page.get_by_role("textbox", name="你的问题")
    expect(box).to_be_focused()
    return box


def replies(page: Page) -> Locator:
    """The widget's replies that are not still loading (the welcome is the first)."""
    return page.locator(".log > .msg:not(.user):not(.loading)")


def ask(page: Page, question: str, box_name: str = "你的问题") -> Locator:
    before = replies(page).count()
    box = page.get_by_role("textbox", name=box_name)
    box.fill(question)
    box.press("Enter")
    expect(replies(page)).to_have_count(before + 1, timeout=30_000)
    return replies(page).last


def api_answer(base_url: str, question: str, history: list | None = None) -> dict:
    response = httpx.post(f"{base_url}/api/ask", json={"question": question, "history": history or []},
                          timeout=30)
    response.raise_for_status()
    return response.json()


def focus_is_in_widget(page: Page) -> bool:
    """Focus inside the Shadow DOM shows as the widget's host on the document."""
    return page.evaluate("() => document.activeElement.matches('[data-qa-widget]')")


def test_answer_has_numbered_citations_links_and_highlight_then_follow_up(
        page: Page, live_server: str, artifacts: Path):
    open_chat(page, live_server)
    reply = ask(page, "ACP 2.0 是什么？")

    sources = reply.locator("ol > li")
    expect(reply.get_by_role("list", name="出处")).to_be_visible()
    expect(sources.first).to_contain_text("[1]")
    expect(sources.nth(1)).to_contain_text("[2]")
    answer = api_answer(live_server, "ACP 2.0 是什么？")
    assert 1 < len(answer["sources"]) < len(answer["passages"])  # some passages are far below the best
    expect(sources).to_have_count(len(answer["sources"]))  # and are not shown
    best = answer["passages"][0]
    landing = best["citation"]["url"]  # the article, with a fragment that lands on the sentence
    assert landing.startswith(f"{ARTICLE_URL}#:~:text=")
    link = sources.first.locator(f'a[href="{landing}"]')
    expect(link).to_have_attribute("target", "_blank")
    expect(reply.locator(f'.answer a.ref[href="{landing}"]')).to_have_text("[1]")
    start, end = best["highlights"][0]
    expect(sources.first.locator("mark").first).to_have_text(best["text"][start:end])
    assert answer["passages"][1]["highlights"], "the service highlights a sentence in every passage"
    expect(sources.nth(1).locator("mark")).to_have_count(0)  # only the answering passage is marked
    page.screenshot(path=artifacts / "widget-answer.png")

    follow_up = ask(page, "它包含哪些子产品？")

    expect(follow_up).to_contain_text("包含有三个子产品")
    page.screenshot(path=artifacts / "widget-follow-up.png")


def test_example_questions_on_the_demo_page_open_the_chat_and_ask(page: Page, live_server: str):
    page.goto(live_server + "/")

    page.get_by_role("button", name="ACP 2.0 是什么？").click()

    expect(page.get_by_role("dialog")).to_be_visible()
    expect(replies(page)).to_have_count(2, timeout=30_000)
    expected = api_answer(live_server, "ACP 2.0 是什么？")["answer"]["text"]
    expect(replies(page).last.locator(".answer")).to_contain_text(expected)
    expect(page.get_by_role("textbox", name="你的问题")).to_be_focused()

    page.get_by_role("button", name="它包含哪些子产品？").click()  # the follow-up example

    expect(replies(page)).to_have_count(3, timeout=30_000)
    expect(replies(page).last).to_contain_text("包含有三个子产品")
    expect(page.locator(".log > .msg.user")).to_have_text(["ACP 2.0 是什么？", "它包含哪些子产品？"])


def test_demo_page_shows_its_own_address_and_the_greeting_names_the_first_example(page: Page,
                                                                                 live_server: str):
    page.goto(live_server + "/")  # a free port, not 8000

    expect(page.locator("pre").first).to_have_text(f'<script src="{live_server}/static/widget.js"></script>')
    page.get_by_role("button", name="打开文章问答").click()
    greeting = page.locator(".log > .msg.bot").first
    expect(greeting).to_have_text("你好！可以问我关于这些文章的问题，例如“ACP 2.0 是什么？”")


def test_no_answer_shows_the_closest_passages_unmarked_under_the_notice(
        page: Page, live_server: str, artifacts: Path):
    assert not api_answer(live_server, UNANSWERABLE)["answerable"], \
        f"the seed index now answers {UNANSWERABLE!r}; pick a question the interview does not answer"
    open_chat(page, live_server)

    reply = ask(page, UNANSWERABLE)

    expect(reply.locator(".notice")).to_have_text(NO_ANSWER)
    closest = reply.get_by_role("list", name="最接近的段落")
    expect(closest.locator("li")).to_have_count(3)
    expect(reply.locator("mark")).to_have_count(0)
    expect(reply.locator(".answer")).to_have_count(0)
    expect(reply.get_by_role("list", name="出处")).to_have_count(0)
    page.screenshot(path=artifacts / "widget-no-answer.png")


def test_loading_state_while_waiting(page: Page, live_server: str):
    held: list[Route] = []
    open_chat(page, live_server)
    page.route("**/api/ask", lambda route: held.append(route))
    page.get_by_role("textbox", name="你的问题").fill("ACP 2.0 是什么？")
    page.get_by_role("textbox", name="你的问题").press("Enter")

    expect(page.locator(".loading")).to_have_text("正在查找答案…")
    expect(page.get_by_role("button", name="发送")).to_be_disabled()
    for _ in range(200):  # the loading state can show before the route handler runs
        if held:
            break
        page.wait_for_timeout(50)  # lets Playwright dispatch the route
    assert held, "the widget sent no /api/ask request within 10 s"
    held[0].continue_()

    expect(page.locator(".loading")).to_have_count(0, timeout=30_000)
    expect(page.get_by_role("button", name="发送")).to_be_enabled()


def test_unreachable_service_is_reported(page: Page, live_server: str, artifacts: Path):
    open_chat(page, live_server)
    page.route("**/api/ask", lambda route: route.abort("connectionrefused"))

    reply = ask(page, "ACP 2.0 是什么？")

    expect(reply).to_have_attribute("role", "alert")
    expect(reply).to_contain_text(f"无法连接到问答服务（{live_server}）")
    page.screenshot(path=artifacts / "widget-unreachable.png")


def test_cors_refusal_names_the_page_origin_to_allow(page: Page, live_server: str, other_origin: str,
                                                     artifacts: Path):
    page.goto(other_origin + "/")
    page.get_by_role("button", name="打开文章问答").click()

    reply = ask(page, "ACP 2.0 是什么？")

    expect(reply).to_have_attribute("role", "alert")
    expect(reply).to_have_text(
        f"问答服务（{live_server}）在运行，但不接受来自本页（{other_origin}）的请求："
        f"请把 {other_origin} 加到服务的 cors_origins 设置（环境变量 QA_CORS_ORIGINS）。")
    page.screenshot(path=artifacts / "widget-cors-refused.png")


def test_error_message_from_the_service_is_shown(page: Page, live_server: str):
    error = {"error": {"status": 503, "code": "index_loading",
                       "message": "the index is still loading; try again in a few seconds."}}
    open_chat(page, live_server)
    page.route("**/api/ask", lambda route: route.fulfill(status=503, json=error))

    reply = ask(page, "ACP 2.0 是什么？")

    expect(reply).to_have_text("服务出错（503）：the index is still loading; try again in a few seconds.")


def test_keyboard_only_use(page: Page, live_server: str):
    page.goto(live_server + "/")
    toggle = page.get_by_role("button", name="打开文章问答")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("textbox", name="你的问题")).to_be_focused()

    page.keyboard.type("ACP 2.0 是什么？")
    page.keyboard.press("Enter")
    expect(replies(page)).to_have_count(2, timeout=30_000)
    expect(page.get_by_role("textbox", name="你的问题")).to_be_focused()

    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")


def test_tab_from_send_reaches_every_citation_and_the_votes_before_leaving_the_panel(
        page: Page, live_server: str):
    open_chat(page, live_server)
    reply = ask(page, "ACP 2.0 是什么？")
    links = reply.locator("a")
    shown = len(api_answer(live_server, "ACP 2.0 是什么？")["sources"])
    expect(links).to_have_count(1 + shown)  # the answer's [1] and each source

    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="发送")).to_be_focused()
    for n in range(links.count()):
        page.keyboard.press("Tab")
        expect(links.nth(n)).to_be_focused()
    for label in ("有帮助", "没帮助"):  # 👍/👎, labelled in the page's language
        page.keyboard.press("Tab")
        expect(reply.get_by_role("button", name=label)).to_be_focused()
    page.keyboard.press("Tab")

    assert not focus_is_in_widget(page), "Tab after the last citation should leave the widget"


ENGLISH = {"open": "Open article Q&A", "input": "Your question", "sources": "Sources",
           "paragraph": re.compile(r"· paragraph \d+$")}
CHINESE = {"open": "打开文章问答", "input": "你的问题", "sources": "出处",
           "paragraph": re.compile(r"· 第 \d+ 段$")}


@pytest.mark.parametrize(("html_lang", "data_lang", "locale", "labels"), [
    ('lang="en"', "", "zh-CN", ENGLISH),
    ("", "", "en-US", ENGLISH),
    ("", "", "zh-CN", CHINESE),
    ('lang="fr"', "", "zh-CN", ENGLISH),
    ('lang="en"', 'data-lang="zh-TW"', "en-US", CHINESE),
], ids=["english-page", "no-lang-en-us-browser", "no-lang-zh-cn-browser", "french-page", "data-lang-wins"])
def test_labels_follow_data_lang_then_the_page_then_the_browser(
        new_page, live_server: str, html_lang: str, data_lang: str, locale: str, labels: dict):
    page = new_page(locale=locale)
    host_page = (f"<!doctype html><html {html_lang}><meta charset='utf-8'><title>host</title><p>host page</p>"
                 f"<script src='/static/widget.js' {data_lang}></script>")
    # The host page is on the server's own origin (no CORS), the answer comes from the real API.
    page.route(f"{live_server}/host-page",
               lambda route: route.fulfill(body=host_page, content_type="text/html"))
    page.goto(f"{live_server}/host-page")
    page.get_by_role("button", name=labels["open"]).click()

    reply = ask(page, "What does Captain do?", box_name=labels["input"])

    expect(reply.get_by_role("list", name=labels["sources"])).to_be_visible()
    expect(reply.locator("ol > li").first.locator(".source")).to_have_text(labels["paragraph"])


def test_speaker_is_named_before_the_answer_and_before_each_passage(page: Page, live_server: str,
                                                                    artifacts: Path):
    recorded = api_answer(live_server, "ACP 2.0 是什么？")
    recorded["sources"] = [p["rank"] for p in recorded["passages"][:3]]  # three shown, whatever their scores
    cited = recorded["answer"]["passage"]
    silent = next(p["rank"] for p in reversed(recorded["passages"][:3]) if p["rank"] != cited)
    for passage in recorded["passages"]:  # as the service will send them for interview answers
        if passage["rank"] != silent:
            passage["speaker"] = passage["citation"]["speaker"] = "陈恺"
    said = recorded["answer"]["text"]
    assert said.startswith("陈恺说，")  # the service's answer names its speaker itself
    answer = recorded["answer"]["text"] = said.removeprefix("陈恺说，")
    open_chat(page, live_server)
    page.route("**/api/ask", lambda route: route.fulfill(json=recorded))

    page.evaluate("question => window.InterviewQA.ask(question)", "ACP 2.0 是什么？")

    expect(replies(page)).to_have_count(2, timeout=30_000)
    reply = replies(page).last
    expect(reply.locator(".answer")).to_have_text(re.compile("^陈恺：" + re.escape(answer)))
    for item in reply.locator("ol > li").all():
        rank = int(item.get_attribute("data-rank") or 0)
        text = item.locator(".passage")
        if rank == silent:
            expect(text).not_to_contain_text("陈恺：")
        else:
            expect(text).to_have_text(re.compile("^陈恺："))
    best = recorded["passages"][0]
    start, end = best["highlights"][0]
    expect(reply.locator("ol > li").first.locator("mark").first).to_have_text(best["text"][start:end])
    page.screenshot(path=artifacts / "widget-speaker.png")

    recorded["answer"]["text"] = said  # "陈恺说，……" is not labelled "陈恺：" again
    page.evaluate("question => window.InterviewQA.ask(question)", "ACP 2.0 是什么？")
    expect(replies(page)).to_have_count(3, timeout=30_000)
    expect(replies(page).last.locator(".answer")).to_have_text(re.compile("^" + re.escape(said)))


def test_phone_width_has_no_horizontal_overflow(new_page, live_server: str, artifacts: Path):
    page = new_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    open_chat(page, live_server)
    ask(page, "陈恺怎么看 Kubernetes 的垄断问题？")

    panel = page.get_by_role("dialog").bounding_box()
    overflow = page.evaluate("""() => {
        const log = document.querySelector('[data-qa-widget]').shadowRoot.querySelector('.log');
        return {page: document.documentElement.scrollWidth, log: log.scrollWidth - log.clientWidth};
    }""")
    page.screenshot(path=artifacts / "widget-phone-360.png")

    assert panel is not None and panel["x"] >= 0 and panel["x"] + panel["width"] <= 360
    assert overflow == {"page": 360, "log": 0}


def test_styles_do_not_leak_in_or_out(page: Page, live_server: str):
    open_chat(page, live_server)

    send_colour = page.get_by_role("button", name="发送").evaluate("b => getComputedStyle(b).backgroundColor")
    page_h2_size = page.locator("main h2").evaluate("h => getComputedStyle(h).fontSize")

    assert send_colour != HOTPINK  # the page's `button {background: hotpink}` stays out
    assert page_h2_size != "16px"  # the widget's `h2 {font-size: 16px}` stays in


def test_data_api_points_the_widget_elsewhere(page: Page, live_server: str):
    """A page on another origin embeds the widget with data-api set to a closed port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    page.set_content(f'<p>host page</p><script src="{live_server}/static/widget.js" '
                     f'data-api="{closed}/"></script>')
    page.get_by_role("button", name="打开文章问答").click()

    reply = ask(page, "ACP 2.0 是什么？")

    expect(reply).to_contain_text(f"无法连接到问答服务（{closed}）")

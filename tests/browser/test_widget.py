"""The chat widget on the demo page, in headless Chromium, against the real
server over the seed interview."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Locator, Page, Route, expect

pytestmark = [pytest.mark.browser, pytest.mark.model]

ARTICLE_URL = "https://linux.cn/article-11563-1.html"
NO_ANSWER = "文章中没有找到答案，以下是最接近的段落"
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


def ask(page: Page, question: str) -> Locator:
    before = replies(page).count()
    box = page.get_by_role("textbox", name="你的问题")
    box.fill(question)
    box.press("Enter")
    expect(replies(page)).to_have_count(before + 1, timeout=30_000)
    return replies(page).last


def api_answer(base_url: str, question: str, history: list | None = None) -> dict:
    response = httpx.post(f"{base_url}/api/ask", json={"question": question, "history": history or []},
                          timeout=30)
    response.raise_for_status()
    return response.json()


def test_answer_has_numbered_citations_links_and_highlight_then_follow_up(
        page: Page, live_server: str, artifacts: Path):
    open_chat(page, live_server)
    reply = ask(page, "ACP 2.0 是什么？")

    sources = reply.locator("ol > li")
    expect(sources.first).to_contain_text("[1]")
    expect(sources.nth(1)).to_contain_text("[2]")
    link = sources.first.locator(f'a[href="{ARTICLE_URL}"]')
    expect(link).to_have_attribute("target", "_blank")
    expect(reply.locator(f'.answer a.ref[href="{ARTICLE_URL}"]')).to_have_text("[1]")
    best = api_answer(live_server, "ACP 2.0 是什么？")["passages"][0]
    start, end = best["highlights"][0]
    expect(sources.first.locator("mark").first).to_have_text(best["text"][start:end])
    page.screenshot(path=artifacts / "widget-answer.png")

    follow_up = ask(page, "它包含哪些子产品？")

    expect(follow_up).to_contain_text("包含有三个子产品")
    page.screenshot(path=artifacts / "widget-follow-up.png")


def test_unanswerable_question_says_so_plainly(page: Page, live_server: str):
    question = "灵雀云有多少员工？"
    answerable = api_answer(live_server, question)["answerable"]
    open_chat(page, live_server)

    reply = ask(page, question)

    # Whether the seed answers it is retrieval tuning; the widget must follow the verdict.
    expect(reply.get_by_text(NO_ANSWER)).to_have_count(0 if answerable else 1)
    expect(reply.locator("ol > li").first).to_be_visible()


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


def test_phone_width_has_no_horizontal_overflow(browser, live_server: str, artifacts: Path):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    open_chat(page, live_server)
    ask(page, "陈恺怎么看 Kubernetes 的垄断问题？")

    panel = page.get_by_role("dialog").bounding_box()
    overflow = page.evaluate("""() => {
        const log = document.querySelector('[data-qa-widget]').shadowRoot.querySelector('.log');
        return {page: document.documentElement.scrollWidth, log: log.scrollWidth - log.clientWidth};
    }""")
    page.screenshot(path=artifacts / "widget-phone-360.png")
    context.close()

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

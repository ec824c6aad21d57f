"""What an article says about itself outside YAML front matter, as a
publisher's archive writes it (the Linux China translation archive is the
model; each part is optional):

- header lines at the top, `[#]: key: (value)` (also `"value"` or a bare
  value): `url` (the published page), `via` (the original), `author`,
  `translator`, `reviewer`, `subject` (the original title);
- the first-level title, setext (`标题` over `======`) or ATX (`# 标题`),
  when it is the body's first block;
- a credit block near the end: `via: URL`, `作者：…`, `译者：…`, `校对：…`
  lines (Markdown links read as their text);
- the date in the file's path: a folder `YYYYMM` and a file name that
  starts `YYYYMMDD `.

Markdown structure comes from markdown-it (the title); the header and
credit lines are single lines whose shape regular expressions read.
"""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt

_HEADER_LINE = re.compile(r"\[#\]:[ \t]*([^\s:：]+)[ \t]*[:：]?[ \t]*(?:\((.*)\)|\"(.*)\"|(.*?))[ \t]*$")
_CREDIT_LINE = re.compile(r"(via|作者|原作者|译者|校对)[ \t]*[:：][ \t]*(.+?)[ \t]*$", re.IGNORECASE)
_CREDIT_LINES_FROM_END = 60  # where a credit block is looked for
_LINK = re.compile(r"!?\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])")  # [text](url) or [text][ref]
_URL = re.compile(r"https?://\S+")
_FOLDER_MONTH = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])")
_FILE_DAY = re.compile(r"((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=[ _-])")
_CREDIT_KEYS = {"via": "via", "作者": "author", "原作者": "author", "译者": "translator",
                "校对": "proofreader"}
_HEADER_KEYS = {"url": "url", "via": "via", "author": "author", "作者": "author",
                "translator": "translator", "reviewer": "proofreader", "subject": "subject",
                "date": "date"}


def read_headers(body: str) -> tuple[dict[str, str], int]:
    """The `[#]: key: (value)` lines at the top of `body`, and where the rest starts."""
    fields: dict[str, str] = {}
    offset = 0
    for line in body.splitlines(keepends=True):
        if not line.strip():
            offset += len(line)
            continue
        match = _HEADER_LINE.fullmatch(line.rstrip("\r\n"))
        if not match:
            break
        offset += len(line)
        key = _HEADER_KEYS.get(match.group(1).lower())
        value = next((g for g in match.groups()[1:] if g is not None), "").strip()
        if key and value and key not in fields:
            fields[key] = value
    return fields, offset


_TITLE_PARSER = MarkdownIt("commonmark")
_TITLE_LOOKAHEAD = 4  # lines: a title is the body's first block


def read_title(body: str, start: int) -> tuple[str | None, int]:
    """A first-level heading that opens `body[start:]`: its text and the
    offset after it; (None, start) when the body opens otherwise."""
    rest = body[start:]
    lines = rest.splitlines(keepends=True)
    head = "".join(lines[:_TITLE_LOOKAHEAD])
    tokens = _TITLE_PARSER.parse(head)
    if len(tokens) < 3 or tokens[0].type != "heading_open" or tokens[0].tag != "h1" or not tokens[0].map:
        return None, start
    title = _plain(tokens[1].content)
    first = next((line.strip().strip("#").strip() for line in lines if line.strip()), "")
    if not title or _plain(first) != title:  # something came first (a link definition)
        return None, start
    end = tokens[0].map[1]
    return title, start + sum(len(line) for line in lines[:end])


def read_credits(body: str) -> dict[str, str]:
    """`via`, `author`, `translator`, `proofreader` from a credit block near
    the end of `body` (the last value of each wins: the block is last)."""
    fields: dict[str, str] = {}
    for line in body.splitlines()[-_CREDIT_LINES_FROM_END:]:
        match = _CREDIT_LINE.match(line.strip())
        if match:
            value = _plain(match.group(2))
            if value:
                fields[_CREDIT_KEYS[match.group(1).lower()]] = value
    return fields


def path_date(path: Path) -> str | None:
    """`YYYY-MM-DD` from a file name that starts with the day (`20191111 标题.md`)
    inside a folder of the same month (`201911/`); else `YYYY-MM` from the
    folder alone. The folder is the month of publication; a file name's day
    in another month is the original's, not this article's."""
    folder = path.parent.name
    month = _FOLDER_MONTH.fullmatch(folder)
    day = _FILE_DAY.match(path.name)
    if month and day and "".join(day.groups()[:2]) == folder:
        return "-".join(day.groups())
    if month:
        return f"{folder[:4]}-{folder[4:]}"
    if day:
        return "-".join(day.groups())
    return None


def person(value: str) -> str:
    """A name without the address written after it ("Robert Mullins http://…")."""
    return " ".join(_URL.sub(" ", value).split()) or value


def web_url(value: str | None) -> str | None:
    """The first http(s) URL in `value`, or None (`( )`, `wxy`, …)."""
    match = _URL.search(value or "")
    return match.group(0).rstrip(").,，。") if match else None


def _plain(markdown: str) -> str:
    """One line of Markdown as text: links as their text, emphasis marks dropped."""
    text = _LINK.sub(lambda m: m.group(1), markdown)
    return " ".join(text.replace("**", "").replace("__", "").split())

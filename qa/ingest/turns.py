"""Interview turns: who speaks in each passage of an article, which passage
asks (or sets up a question) and which passage answers it, found when an
article is read (`qa.turn_ranking` uses them at question time).

Speech is recognised where interviews mark it:
- a label at a paragraph's start: `问：` / `答：`, `Q:` / `A:`, `记者：`,
  `主持人：`, `张三：` (bold in Markdown or not); an unlabelled paragraph
  continues the turn of the last label in its section;
- a question paragraph set in bold, the paragraphs after it answering;
- a name (or 他 / 她 after one) with a verb of saying, outside quotation
  marks: `陈恺说，“……”`, `“……”陈恺说`, `陈恺认为……`, `他接着补充说`,
  `在他看来`, English `"…," Keller said` / `she added`;
- a paragraph opening with a quotation continues the speaker before it.

The interviewer is the article's author, a role label (记者, 主持人, 问, Q) or,
in a dialogue of two named labels, the one the title does not name. The
interviewee is named by the title ("专访灵雀云陈恺"), else is the person who
speaks most. Narration (no speaker) that ends with a question asks; narration
followed by a paragraph that opens with the interviewee's words sets it up.
An article in which nobody but the interviewer speaks has no turns.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from qa.records import ANSWERS, ASKS, NARRATES, SETS_UP
from qa.text import CJK_RANGE, is_question, sentence_spans


@dataclass(frozen=True)
class PassageTurn:
    speaker: str | None = None  # whose words the passage gives; None for narration
    role: str = NARRATES
    answered_by: int | None = None  # position of the answering passage, for asks / sets_up


# --- names -------------------------------------------------------------------

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛"
    "郝龚邵万钱严覃武戴莫孔向汤左常温康施牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦"
    "俞柳甘祝包宁尚符舒阮柯纪梅童凌毕季裴霍涂苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶"
)
_COMPOUND_SURNAMES = "欧阳|司马|上官|诸葛|东方|皇甫|令狐|慕容|司徒|夏侯|尉迟|长孙|宇文|公孙|端木"
_CJK_NAME = re.compile(rf"(?:{_COMPOUND_SURNAMES})[{CJK_RANGE}]{{1,2}}|[{_SURNAMES}][{CJK_RANGE}]{{1,2}}")
_LATIN_NAME = re.compile(r"[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)?(?: [A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)?){0,2}")
_NOT_LATIN_NAMES = frozenset({
    "A", "An", "The", "It", "This", "That", "These", "Those", "There", "Then", "They", "We", "I", "You",
    "He", "She", "Q", "And", "But", "So", "Yes", "No", "Interview", "With", "On", "In", "Of", "Talks",
    "Conversation", "Open", "Source", "Everyone", "Someone", "People", "Many", "Experts",
})


def is_turn(text: str) -> bool:
    """Whether a paragraph is a turn of a conversation on its own, however
    short: it opens with a speaker's label ("记者：", "问：", "Q:", "张三：")
    or it asks ("普洱茶产在哪里？"). The chunker keeps such a paragraph apart
    from its neighbours, so that who asks and who answers stay known."""
    label = _LABEL.match(text)
    if label:
        name = label.group(1)
        if name.lower() in ASKING_LABELS or name.lower() in ANSWERING_LABELS or _is_name(name):
            return True
    return is_question(text)


@lru_cache(maxsize=1)
def _word_tags() -> dict[str, str]:
    """jieba's dictionary with each word's part of speech (`nr`: a person's name)."""
    import jieba.posseg

    return jieba.posseg.dt.word_tag_tab


_NOT_IN_NAMES = frozenset("我你您他她它们的地得了是在和与及对把被将从向给也都就还又这那")


def _is_cjk_name(word: str) -> bool:
    """A surname and one or two characters, none of them a pronoun or
    particle (于我), and not a dictionary word other than a name (方面, 高度
    and 林业 are words; 陈恺 and 李娜 are names)."""
    return (bool(_CJK_NAME.fullmatch(word)) and not _NOT_IN_NAMES.intersection(word[1:])
            and _word_tags().get(word, "nr").startswith("nr"))


def _is_latin_name(words: str) -> bool:
    return bool(_LATIN_NAME.fullmatch(words)) and not set(words.split()) & _NOT_LATIN_NAMES


def _is_name(word: str) -> bool:
    return _is_cjk_name(word) or _is_latin_name(word)


# --- marks in one passage ----------------------------------------------------

_QUOTED = re.compile(r"(“)([^”]*)(”?)|(「)([^」]*)(」?)|(\")([^\"]*)(\"?)", re.S)
_OPENS_QUOTE = ("“", "「", '"')
_LABEL = re.compile(r"\s*([^\s：:，,。！？“”\"]{1,12}(?: [A-Z][a-z]+){0,2})\s*[：:]\s*(?=\S)")
# A label that names no role or person, only which side speaks ("问：", "A:").
_NAMELESS_ASKING = frozenset({"问", "q", "提问"})
ANSWERING_LABELS = frozenset({"答", "a", "回答"})
_NAMELESS_LABELS = _NAMELESS_ASKING | ANSWERING_LABELS
ASKING_LABELS = _NAMELESS_ASKING | {"记者", "主持人", "编者", "采访者", "小编", "interviewer", "host"}
_ADVERBS = r"(?:接着|紧接着|随后|进一步|笑着|坦率地|同时|特别|再次|继续|一再|还|也|又|则|就|曾|都)*"
_VERBS = (r"(?:(?:补充|解释|回忆|感慨|总结|笑)?说(?=[，,：:“\"])"
          r"|表示|认为|指出|介绍|坦言|强调|透露|提到|谈到|回答|直言|觉得|相信|告诉)")
_CJK_SAYS = re.compile(rf"{_ADVERBS}{_VERBS}")
_CJK_VIEW = re.compile(rf"在([{CJK_RANGE}]{{1,4}}?)看来")
_SAY_WORDS = r"(?:said|says|added|explained|noted|recalled|told)"
_LATIN_SAYS = re.compile(rf"({_LATIN_NAME.pattern}|\b[Hh]e|\b[Ss]he) {_SAY_WORDS}\b")
_LATIN_SAID = re.compile(rf"\b{_SAY_WORDS} ({_LATIN_NAME.pattern}|he|she)\b")
PRONOUN = "他"  # stands for the last named speaker


@dataclass(frozen=True)
class _Marks:
    label: str | None = None  # as written, e.g. "记者", "Q", "林晓峰"
    who: str | None = None  # a name, or PRONOUN, from a verb of saying
    opens: bool = False  # the passage opens with that speech (not after narration)
    bold: bool = False  # its (first) paragraph is all bold in the Markdown
    bold_later: bool = False  # a later paragraph joined to it is (a short question)
    ends_asking: bool = False
    open_quote: bool = False  # a quotation is still open at its end


def _masked(text: str) -> str:
    """The text with quotations blanked out (their marks kept): a name and a
    verb inside a quotation are the speaker's words, not an attribution."""
    def blank(match: re.Match) -> str:
        opener, inside, closer = (g for g in match.groups() if g is not None)
        return opener + "\x00" * len(inside) + closer

    return _QUOTED.sub(blank, text)


def _who_says(text: str, mentions: str) -> tuple[str, int] | None:
    """The first attribution outside quotations: (name or PRONOUN, where)."""
    masked = _masked(text)
    found = [(m.start(), _name_before(masked, m.start(), mentions)) for m in _CJK_SAYS.finditer(masked)]
    found += [(m.start(), _cjk_viewer(m.group(1))) for m in _CJK_VIEW.finditer(masked)]
    for m in [*_LATIN_SAYS.finditer(masked), *_LATIN_SAID.finditer(masked)]:
        found.append((m.start(), _latin_speaker(m.group(1))))
    found = sorted((at, who) for at, who in found if who)
    return (found[0][1], found[0][0]) if found else None


def _name_before(text: str, end: int, mentions: str) -> str | None:
    """The name (or 他 / 她) that ends at `end`: of the name-shaped endings,
    the one the article mentions most, the longer on a tie."""
    if end and text[end - 1] in "他她" and (end < 2 or text[end - 2] not in "其吉"):
        return PRONOUN
    shaped = [text[end - n : end] for n in (4, 3, 2) if end >= n and _is_cjk_name(text[end - n : end])]
    return max(shaped, key=lambda name: mentions.count(name), default=None)


def _cjk_viewer(word: str) -> str | None:
    if word in ("他", "她"):
        return PRONOUN
    return word if _is_cjk_name(word) else None


def _latin_speaker(words: str) -> str | None:
    if words.lower() in ("he", "she"):
        return PRONOUN
    return words if _is_latin_name(words) else None


def _marks(text: str, markdown: str, mentions: str) -> _Marks:
    label = _LABEL.match(text)
    said = _who_says(text, mentions)
    bold = [_is_bold_paragraph(paragraph) for paragraph in _PARAGRAPH_BREAK.split(markdown.strip())]
    spans = sentence_spans(text)
    first_end = spans[0][1] if spans else 0
    return _Marks(
        label=label.group(1) if label else None,
        who=said[0] if said else None,
        opens=bool(said) and (said[1] < first_end or text.lstrip().startswith(_OPENS_QUOTE)),
        bold=bool(bold) and bold[0],
        bold_later=any(bold[1:]),
        ends_asking=bool(spans) and is_question(text[slice(*spans[-1])]),
        open_quote=_masked(text).endswith("\x00"),
    )


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_BOLD_PARAGRAPH = re.compile(r"\s*(\*\*|__)(?=\S)(.+?)(?<=\S)\1\s*", re.S)


def _is_bold_paragraph(markdown: str) -> bool:
    match = _BOLD_PARAGRAPH.fullmatch(markdown)
    return bool(match) and "**" not in match.group(2)


# --- who speaks ----------------------------------------------------------------

@dataclass(frozen=True)
class _Voice:
    speaker: str | None = None
    asks: bool = False  # the interviewer's turn


_NARRATION = _Voice()


_INITIALS = re.compile(r"[A-Z]{2,4}")  # "RMS", "DW": a speaker's initials


def _labels(marks: Sequence[_Marks], author: str | None, title: str) -> dict[str, bool]:
    """The labels that name a speaker, each with whether it asks: role words
    always; names (or initials) when there are two voices at least, each
    the author's, the title's, or used twice; in a dialogue of recurring
    labels (a transcript), a name used once too (a guest who speaks once)."""
    counts = Counter(m.label for m in marks if m.label)
    labels = {label: label.lower() in ASKING_LABELS for label in counts
              if label.lower() in ASKING_LABELS or label.lower() in ANSWERING_LABELS}
    names = [label for label in counts if label not in labels
             and (label == author or _is_name(label) or _INITIALS.fullmatch(label))]
    known = [label for label in names if counts[label] > 1 or label in title or label == author]
    if len(labels) + len(known) < 2:
        known = []  # one voice is no dialogue: "Python:" twice in a tutorial names nobody
    elif len(labels) + sum(counts[label] > 1 for label in known) >= 2:
        known = names
    labels.update({label: label == author for label in known})
    named = [label for label, asks in labels.items() if not asks and label.lower() not in ANSWERING_LABELS]
    if len(named) > 1 and not any(labels.values()):  # a dialogue of names: who asks?
        untitled = [label for label in named if label not in title]
        asking = Counter(m.label for m in marks if m.label in named and m.ends_asking)
        if len(untitled) == 1:
            labels[untitled[0]] = True
        elif asking:  # the one who asks most; nobody, in a talk where no turn ends with a question
            labels[asking.most_common(1)[0][0]] = True
    return labels


_INTERVIEW_TITLE = re.compile(r"专访|对话|访谈|采访|问答|interview|conversation|q&a|talks? with", re.I)


def _interviewee(title: str, mentions: str, said: Counter[str]) -> str | None:
    """The person the title names and the article mentions again (专访灵雀云陈恺),
    else the one who speaks most, else a name in an interview's title (对话张伟)."""
    cjk = {title[i : i + n] for i in range(len(title)) for n in (2, 3, 4)}
    latin = {m.group() for m in _LATIN_NAME.finditer(title)}
    named = [name for name in cjk if _is_cjk_name(name)] + [n for n in latin if _is_latin_name(n)]
    mentioned = [name for name in named if mentions.count(name) > 1]  # once more than in the title
    if mentioned:
        return max(mentioned, key=lambda name: (_speaks(name, said), mentions.count(name), len(name)))
    if said:
        return said.most_common(1)[0][0]
    return max(named, key=len) if named and _INTERVIEW_TITLE.search(title) else None


def _full_name(name: str, interviewee: str | None) -> str:
    """"Keller" is the interviewee "Maria Keller"."""
    return interviewee if interviewee and interviewee.endswith(" " + name) else name


def _speaks(name: str, said: Counter[str]) -> int:
    """How often `name` speaks, by full name or ("Keller") by surname."""
    return sum(n for who, n in said.items() if who == name or name.endswith(" " + who))


def _label_voice(label: str, asks: bool, interviewee: str | None, full_names: dict[str, str]) -> _Voice:
    key = label.lower()
    if key in _NAMELESS_LABELS:
        return _Voice(None if asks else interviewee, asks)
    return _Voice(full_names.get(label, label), asks)


def _full_names(labels: dict[str, bool], mentions: str) -> dict[str, str]:
    """The full name the article gives a label written short: initials ("DW"
    is "Don Watkins") or one part of a name ("Lipton" is "Jeff Lipton")."""
    found = (m.group() for m in _LATIN_NAME.finditer(mentions))
    names = {name for name in found if " " in name and _is_latin_name(name)}
    full = {}
    for label in labels:
        matches = [name for name in names if _short_for(label, name)]
        if len(matches) == 1:
            full[label] = matches[0]
    return full


def _short_for(label: str, name: str) -> bool:
    parts = name.split()
    return label == "".join(part[0] for part in parts) or label in (parts[0], parts[-1])


def _voices(marks: Sequence[_Marks], texts: Sequence[str], sections: Sequence[str | None],
            labels: dict[str, bool], interviewee: str | None, full_names: dict[str, str]) -> list[_Voice]:
    """Each passage's voice, in reading order: its label, a bold question, the
    labelled or bold turn it continues, a verb of saying, or the quotation it
    continues."""
    bold_questions = _asks_in_bold(marks)
    voices: list[_Voice] = []
    turn: _Voice | None = None  # the labelled or bold turn going on in this section
    last_named = interviewee
    for row, mark in enumerate(marks):
        if row and sections[row] != sections[row - 1]:
            turn = None
        if mark.label in labels:
            voice = turn = _label_voice(mark.label, labels[mark.label], interviewee, full_names)
        elif bold_questions and mark.bold:
            voice, turn = _Voice(None, asks=True), _Voice(interviewee)
        elif turn:
            voice = turn
        elif mark.who:
            voice = _Voice(last_named if mark.who == PRONOUN else _full_name(mark.who, interviewee))
        elif row and voices[-1].speaker and not voices[-1].asks and (
                marks[row - 1].open_quote or _opens_with_quoted_speech(texts[row])):
            voice = voices[-1]  # the quotation goes on
        else:
            voice = _NARRATION
        if voice.speaker and not voice.asks:
            last_named = voice.speaker
        if bold_questions and mark.bold_later:
            turn = _Voice(interviewee)  # a short bold question ends the passage
        voices.append(voice)
    return voices


def _asks_in_bold(marks: Sequence[_Marks]) -> bool:
    """Questions set in bold paragraphs, answered below: an interview's form
    (bold paragraphs that do not ask are a tutorial's headings)."""
    return sum((m.bold or m.bold_later) and m.ends_asking for m in marks) > 1


_QUOTED_SPEECH = re.compile(r"\s*[“「\"][^”」\"]*(?:[。！？!?…][”」\"]|$)")


def _opens_with_quoted_speech(text: str) -> bool:
    """The passage opens with a quoted sentence (“……。”), not a quoted term."""
    return bool(_QUOTED_SPEECH.match(text))


# --- asking and answering ----------------------------------------------------------

def _roles(voices: Sequence[_Voice], marks: Sequence[_Marks], sections: Sequence[str | None]) -> list[str]:
    roles = []
    for row, (voice, mark) in enumerate(zip(voices, marks, strict=True)):
        answer_opens_next = (row + 1 < len(marks) and sections[row + 1] == sections[row]
                             and _opens_answer(voices[row + 1], marks[row + 1]))
        if voice.asks:
            asking = mark.ends_asking or mark.bold or (mark.label or "").lower() in ("问", "q", "提问")
            roles.append(ASKS if asking else SETS_UP)
        elif voice.speaker:
            roles.append(ANSWERS)
        elif mark.ends_asking:
            roles.append(ASKS)
        else:
            roles.append(SETS_UP if answer_opens_next else NARRATES)
    return roles


def _opens_answer(voice: _Voice, mark: _Marks) -> bool:
    """The passage starts with the interviewee's words (not narration first)."""
    return bool(voice.speaker) and not voice.asks and (mark.opens or mark.label is not None)


def _answered_by(row: int, roles: Sequence[str], sections: Sequence[str | None]) -> int | None:
    """For an asking or set-up passage, the passage after the interviewer's
    turn it belongs to: an answer, or (after a question) the narration that
    reports it."""
    if roles[row] not in (ASKS, SETS_UP):
        return None
    after = row + 1
    while after < len(roles) and sections[after] == sections[row] and roles[after] in (ASKS, SETS_UP):
        after += 1
    if after == len(roles) or sections[after] != sections[row]:
        return None
    if roles[after] == ANSWERS or (roles[row] == ASKS and roles[after] == NARRATES):
        return after
    return None


def detect_turns(texts: Sequence[str], sections: Sequence[str | None], author: str | None, title: str,
                 markdown: Sequence[str] | None = None) -> list[PassageTurn]:
    """The turn of each of an article's passages, given in reading order with
    their sections, the article's author and title, and optionally each
    passage's Markdown source (for bold question paragraphs)."""
    markdown = markdown if markdown is not None else [""] * len(texts)
    mentions = "\n".join([title, *texts])
    marks = [_marks(text, source, mentions) for text, source in zip(texts, markdown, strict=True)]
    labels = _labels(marks, author, title)
    if not labels and not _asks_in_bold(marks) and not _INTERVIEW_TITLE.search(title):
        return [PassageTurn() for _ in texts]  # not a dialogue: an article's quotations are no turns
    said = Counter(m.who for m in marks if m.who and m.who != PRONOUN and m.who != author)
    said.update(label for label, asks in labels.items() if not asks and label.lower() not in _NAMELESS_LABELS)
    voices = _voices(marks, texts, sections, labels, _interviewee(title, mentions, said),
                     _full_names(labels, f"{mentions}\n{author or ''}"))
    if not any(v.speaker and not v.asks for v in voices):  # nobody answers: not an interview
        return [PassageTurn() for _ in texts]
    roles = _roles(voices, marks, sections)
    return [
        PassageTurn(voice.speaker, role, _answered_by(row, roles, sections))
        for row, (voice, role) in enumerate(zip(voices, roles, strict=True))
    ]

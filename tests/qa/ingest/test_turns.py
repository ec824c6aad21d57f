"""qa.ingest.turns: who speaks in each passage, which passage asks and which answers,
and the ranking rule that puts an answer before the question it answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.ingest.chunker import ChunkSettings
from qa.ingest.documents import corpus_documents
from qa.ingest.turns import PassageTurn, detect_turns
from qa.records import ANSWERS, ASKS, NARRATES, SETS_UP
from qa.service import QAService
from qa.turn_ranking import ASKING_PRIOR, SET_UP_REACH, TurnTable, answers_first, with_answers

TESTS = Path(__file__).resolve().parents[2]
INTERVIEWS = TESTS / "fixtures" / "interviews"
SEED_CORPUS = TESTS / "fixtures" / "seed"
N, Q, S, A = NARRATES, ASKS, SETS_UP, ANSWERS

# paragraph -> (speaker, role, paragraph of the answer)
SEED = {
    "p1": (None, N, None), "p2": (None, N, None),
    "p3": ("陈恺", A, None),  # 回忆起那时候，陈恺说，……
    "p4": (None, N, None),
    "p5": ("陈恺", A, None),  # “……”陈恺说，“……”
    "p6": (None, Q, "p7"),  # ……陈恺对云原生的理解是什么呢？
    "p7": ("陈恺", A, None),  # 陈恺说，“……”
    "p8": ("陈恺", A, None),  # 他接着补充说，“……”
    "p9": (None, S, "p10"),  # set-up ending in 。
    "p10": ("陈恺", A, None),
    "p11": (None, Q, "p12"), "p12": ("陈恺", A, None),
    "p13": (None, Q, "p14"), "p14": ("陈恺", A, None),
    "p15": (None, N, None), "p16": (None, N, None), "p17": (None, N, None), "p18": (None, N, None),
    "p19": (None, S, "p20"),  # 我们知道……注入了更多的活力。
    "p20": ("陈恺", A, None),  # 陈恺认为……
    "p21": ("陈恺", A, None),  # 他认为，……
    "p22": (None, N, None), "p23": (None, N, None), "p24": (None, N, None),
    "p25": (None, Q, "p26"), "p26": ("陈恺", A, None),
    "p27": (None, N, None),
    "p28": ("陈恺", A, None),  # ……。陈恺说，“……”
    "p29": (None, N, None),  # 他对于我提到的每个话题: 于我 is no name, 提到 no attribution
    "p30": (None, N, None),  # opens with a quoted name (“穿山甲专访”), not quoted speech
    "p31": (None, N, None),
}
XINGHE = {  # **记者**： / **林晓峰**： labels; a section heading ends the turn
    "p1": (None, N, None),
    "p2": ("记者", Q, "p3"),
    "p3": ("林晓峰", A, None),
    "p4": ("林晓峰", A, None),  # no label: the answer goes on
    "p5": ("记者", S, "p7"),  # the interviewer's context, no question yet
    "p6": ("记者", Q, "p7"),
    "p7": ("林晓峰", A, None),
    "p8": (None, N, None),  # 后记
}
SUWAN = {  # 主持人： / 苏婉： lines
    "p1": (None, N, None),
    "p2": ("主持人", S, "p3"),  # 欢迎……介绍一下自己……吧。
    "p3": ("苏婉", A, None),
    "p4": ("主持人", Q, "p5"),
    "p5": ("苏婉", A, None),  # quotes her mentor: still her words
    "p6": ("主持人", Q, "p7"),
    "p7": ("苏婉", A, None),
}
ZHOU = {  # bold questions, plain answers; the interviewee named by the title only
    "p1": (None, N, None),  # the intro
    "p2": (None, Q, "p3"),  # a short bold question: a passage of its own, not joined to the intro
    "p3": ("周明远", A, None),
    "p4": ("周明远", A, None),  # 他表示，……
    "p5": (None, Q, "p6"),  # **……为什么这样选？**
    "p6": ("周明远", A, None),  # “……”周明远笑着说，“……”
    "p7": ("周明远", A, None),
}
KELLER = {  # Q: / A:, "…," Keller said.
    "p1": ("Maria Keller", A, None),
    "p2": (None, Q, "p3"),
    "p3": ("Maria Keller", A, None),
    "p4": (None, Q, "p5"),
    "p5": ("Maria Keller", A, None),
}


def _turns_of(corpus: Path, article_id: str) -> dict[str, tuple[str | None, str, str | None]]:
    """The turns the index stores, by paragraph ("p3")."""
    documents = corpus_documents(corpus, "https://linux.cn", ChunkSettings(), [])
    passages = [p for _, records in documents for p in records]

    def short(passage_id: str | None) -> str | None:
        return passage_id.split("#")[1] if passage_id else None

    return {short(p.id): (p.speaker, p.role, short(p.answered_by))
            for p in passages if p.article_id == article_id}


@pytest.mark.parametrize(
    ("corpus", "article_id", "expected"),
    [
        (SEED_CORPUS, "alauda-chenkai-interview", SEED),
        (INTERVIEWS, "xinghe-linxiaofeng", XINGHE),
        (INTERVIEWS, "suwan-podcast", SUWAN),
        (INTERVIEWS, "zhou-mingyuan", ZHOU),
        (INTERVIEWS, "maria-keller", KELLER),
    ],
)
def test_interview_passages_get_speaker_role_and_answer(corpus: Path, article_id: str,
                                                        expected: dict) -> None:
    assert _turns_of(corpus, article_id) == expected


# tea.md is titled 茶馆访谈, an "interview" in which nobody speaks
@pytest.mark.parametrize("article_id", ["cloud-native", "tea"])
def test_passages_of_an_article_without_speech_narrate(article_id: str) -> None:
    turns = _turns_of(TESTS / "fixtures" / "corpus", article_id)
    assert turns and set(turns.values()) == {(None, NARRATES, None)}


def _detect(texts: list[str], title: str = "", author: str | None = None) -> list[tuple[str | None, str]]:
    turns = detect_turns(texts, [None] * len(texts), author, title)
    return [(t.speaker, t.role) for t in turns]


@pytest.mark.parametrize(
    ("title", "texts", "expected"),
    [
        (  # 问： / 答：, the interviewee named only by the title
            "对话张伟：开源的下一站",
            ["问：你们当初为什么选择把核心项目开源出来？",
             "答：因为开源能让更多的开发者参与进来，一起把它做好。"],
            [(None, Q), ("张伟", A)],
        ),
        (  # Q: / A:
            "Q&A with Ana Ruiz",
            ["Q: Why did you start the project in the first place?",
             "A: Because nothing else worked for our team."],
            [(None, Q), ("Ana Ruiz", A)],
        ),
        (  # two named labels, neither the author's nor in the title: the one who asks
            "一次长谈",
            ["王芳：你为什么离开了工作十年的大公司？", "李强：想趁着还年轻，做一点属于自己的东西。",
             "王芳：这些年里有没有后悔过当初的决定？", "李强：从来没有，再选一次也还是一样。"],
            [("王芳", Q), ("李强", A), ("王芳", Q), ("李强", A)],
        ),
        (  # a quotation, then who said it; the narration before it sets it up
            "",
            ["今年团队把全部服务迁到了新的调度系统上。",
             "“迁移比我们想的要顺利得多。”林晓峰说，“只用了三个月。”"],
            [(None, S), ("林晓峰", A)],
        ),
        (  # English: said <name>, she added
            "",
            ['"The first release took two years," said Keller.',
             "She added that the second took six months."],
            [("Keller", A), ("Keller", A)],
        ),
        (  # 在他看来 refers back to the last named speaker
            "",
            ["陈恺说，“开源是一种协作方式。”", "在他看来，标准比单个产品更重要，因为它让整个行业受益。"],
            [("陈恺", A), ("陈恺", A)],
        ),
        (  # a name and a verb inside the quotation are the speaker's words
            "",
            ["陈恺说，“我的同事张伟说过，开源就是分享。”"],
            [("陈恺", A)],
        ),
        (  # a quotation that goes on into the next paragraph keeps its speaker
            "",
            ["周明远说，“我们做了三件事。第一件是把存储和计算分开，", "第二件是让每个节点都能独立扩容。”"],
            [("周明远", A), ("周明远", A)],
        ),
    ],
)
def test_ways_of_marking_speech(title: str, texts: list[str], expected: list[tuple[str | None, str]]) -> None:
    # Without labels or bold questions, only an interview's title makes quotations turns.
    assert _detect(texts, title or "一次专访") == expected


@pytest.mark.parametrize("texts", [
    ["今年团队把全部服务迁到了新的调度系统上。", "“迁移比我们想的要顺利得多。”林晓峰说，“只用了三个月。”"],
    ['"The first release took two years," said Keller.', "She added that the second took six months."],
    ["Python: 一门语言。", "安装它很简单。", "Python: 另一段说明。"],  # one label, twice: one voice
])
def test_quotations_in_an_article_that_is_no_dialogue_are_no_turns(texts: list[str]) -> None:
    assert _detect(texts, "如何在 Linux 上安装 .NET Core SDK") == [(None, NARRATES)] * len(texts)


@pytest.mark.parametrize(
    "texts",
    [
        ["什么是容器？", "容器是一种轻量级的虚拟化技术，它共享宿主机的内核。"],  # a rhetorical question
        ["他们认为这个方向是对的，于是投入了更多的人力。"],  # 他们: no one person
        ["在这方面认为标准更重要的人越来越多。"],  # 这方面 is no name
        ["公司表示将继续加大投入，明年推出新版本。"],  # 公司 is no name
        ["他认为开源是一种文化。"],  # 他 with nobody named before
    ],
)
def test_narration_without_a_named_speaker_is_no_interview(texts: list[str]) -> None:
    assert detect_turns(texts, [None] * len(texts), None, "随笔") == [PassageTurn()] * len(texts)


def test_the_answer_to_a_question_is_in_its_own_section() -> None:
    texts = ["陈恺说，“容器会改变一切。”", "那么灵雀云接下来会做什么？", "陈恺说，“我们会继续投入开源。”"]
    turns = detect_turns(texts, ["一", "一", "二"], None, "专访陈恺")
    assert [(t.role, t.answered_by) for t in turns] == [(A, None), (Q, None), (A, None)]


# --- ranking ---------------------------------------------------------------------

def _table(roles: list[str], answered_by: list[int | None]) -> TurnTable:
    return TurnTable.of(roles, answered_by)


def _first(scores: np.ndarray, turns: TurnTable) -> np.ndarray:
    """`answers_first` over every row."""
    return answers_first(np.arange(len(scores)), scores, turns)


def _order(scores: np.ndarray) -> list[int]:
    return [int(row) for row in np.argsort(-scores, kind="stable")]


@pytest.mark.parametrize("answer_score", [0.7, 0.05])
def test_an_asking_passage_that_outscores_its_answer_comes_right_after_it(answer_score: float) -> None:
    turns = _table([N, Q, A, N], [None, 2, None, None])
    scores = _first(np.array([0.5, 1.0, answer_score, 0.75], dtype=np.float32), turns)
    assert _order(scores) == [2, 1, 3, 0]
    assert scores[2] == pytest.approx(1.0 * ASKING_PRIOR)  # the answer takes the question's place


def test_a_set_up_is_not_scaled_but_its_answer_still_goes_first() -> None:
    turns = _table([S, A, N], [1, None, None])
    scores = _first(np.array([0.9, 0.8, 0.85], dtype=np.float32), turns)
    assert _order(scores) == [1, 0, 2]
    assert scores[1] == pytest.approx(0.9)


def test_an_answer_far_below_its_set_up_is_left_where_it_is() -> None:
    """The question is then about what the set-up itself says."""
    turns = _table([S, A, N], [1, None, None])
    low = SET_UP_REACH * 0.9 - 0.05
    scores = _first(np.array([0.9, low, 0.5], dtype=np.float32), turns)
    assert _order(scores) == [0, 1, 2]
    np.testing.assert_allclose(scores, [0.9, low, 0.5], rtol=1e-6)


def test_an_asking_passage_below_its_answer_is_only_scaled() -> None:
    turns = _table([Q, A], [1, None])
    np.testing.assert_allclose(_first(np.array([0.6, 0.9], dtype=np.float32), turns),
                               [0.6 * ASKING_PRIOR, 0.9], rtol=1e-6)


def test_two_passages_asking_for_one_answer_lift_it_to_the_higher() -> None:
    turns = _table([S, Q, A], [2, 2, None])
    scores = _first(np.array([0.9, 1.0, 0.75], dtype=np.float32), turns)
    assert _order(scores)[0] == 2
    assert scores[2] == pytest.approx(0.9)


def test_without_turns_the_scores_are_unchanged() -> None:
    scores = np.array([0.2, 0.9, 0.4], dtype=np.float32)
    np.testing.assert_array_equal(_first(scores, _table([N, N, N], [None] * 3)), scores)


# --- through the service -----------------------------------------------------------

@pytest.fixture(scope="module")
def interview_service(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> QAService:
    """The interview fixtures indexed with the hashing embedder of tests/conftest.py."""
    from qa.runtime import build_index, open_index
    from qa.settings import Settings

    hashing = pytestconfig.pluginmanager.get_plugin(str(TESTS / "conftest.py")).HashingEmbedder
    tmp = tmp_path_factory.mktemp("interviews")
    settings = Settings(corpus_dir=INTERVIEWS, index_dir=tmp / "index", cache_dir=tmp / "cache")
    build_index(settings, hashing())
    return QAService(open_index(settings, hashing()))


def test_ranked_passages_and_citations_carry_the_speaker(interview_service: QAService) -> None:
    answer = interview_service.ask("苏婉负责开源社区运营多少年了？")
    top = answer.passages[0]
    assert top.id == "suwan-podcast#p3"
    assert (top.speaker, top.citation.speaker) == ("苏婉", "苏婉")
    _, citation = interview_service.passage("suwan-podcast#p1")
    assert citation.speaker is None


def test_the_answer_ranks_above_the_question_that_echoes_the_asker(interview_service: QAService) -> None:
    ids = [p.id for p in interview_service.ask("一个新项目刚开源的时候最难的是什么？").passages]
    assert ids[:2] == ["suwan-podcast#p5", "suwan-podcast#p4"]


def test_a_short_question_is_a_turn_whose_answer_ranks_first(interview_service: QAService) -> None:
    """The bold question "为什么你认为分布式数据库会成为主流？" is shorter than
    min_passage_chars: it keeps its own passage, so its answer, and who gives
    it, are known."""
    answer = interview_service.ask("为什么分布式数据库会成为主流？")
    assert [p.id for p in answer.passages[:2]] == ["zhou-mingyuan#p3", "zhou-mingyuan#p2"]
    assert answer.passages[0].speaker == "周明远"


@pytest.mark.model
@pytest.mark.parametrize(
    ("question", "answer", "asker"),
    [
        ("Kubernetes 会不会形成垄断？", "p12", "p11"),
        ("为什么 Kubernetes 能赢得容器编排之争？", "p10", "p9"),
    ],
)
def test_seed_answer_comes_before_the_interviewer(seed_service: QAService, question: str, answer: str,
                                                  asker: str) -> None:
    ids = [p.id.split("#")[1] for p in seed_service.ask(question).passages]
    assert ids[:2] == [answer, asker]


def test_a_subset_of_rows_is_ranked_as_the_whole_would_be() -> None:
    turns = _table([N, Q, A, N, S, A], [None, 2, None, None, 5, None])
    scores = np.array([0.5, 1.0, 0.7, 0.75, 0.9, 0.85], dtype=np.float32)
    whole = _first(scores, turns)
    rows = with_answers(np.array([1, 3, 4]), turns)
    assert rows.tolist() == [1, 2, 3, 4, 5]  # the answers of rows 1 and 4 join them
    np.testing.assert_allclose(answers_first(rows, scores[rows], turns), whole[rows])


def test_a_speaker_labelled_by_initials_or_a_surname_gets_the_name_the_article_gives() -> None:
    texts = ["Don Watkins talked with Peter Farrell about teaching math with Python.",
             "DW: How did you start?", "PF: With a turtle on the screen.",
             "DW: And now?", "PF: Now my students write games.", "DW: Any advice?", "Farrell: Start small."]
    assert [speaker for speaker, _ in _detect(texts, "Hacking math education")] == [
        None, "Don Watkins", "Peter Farrell", "Don Watkins", "Peter Farrell", "Don Watkins", "Peter Farrell"]

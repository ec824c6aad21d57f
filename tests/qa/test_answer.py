from qa.answer import said_by


def test_a_known_speaker_is_named_before_the_text():
    assert said_by("陈恺", "ACP 2.0 是把整个平台都做成 Kubernetes 原生的。") == "陈恺："


def test_no_label_without_a_speaker():
    assert said_by(None, "主持人问到了 ACP。") == ""


def test_no_label_when_the_text_already_names_the_speaker():
    assert said_by("陈恺", "陈恺说，“我们走的比这个更深一步。”") == ""
    assert said_by("陈恺", "“陈恺认为……”") == ""

/* Interview QA chat widget. One tag adds it to any page:
 *
 *   <script src="https://qa.example.org/static/widget.js"></script>
 *
 * Options (data attributes on that tag):
 *   data-api="https://host"   where the API lives (default: where this script came from);
 *                             a page on another origin must be in the service's cors_origins
 *   data-lang="en"            the labels' language (default: the page's <html lang>, else the
 *                             browser's; zh* is Chinese, anything else English)
 *   data-open="true"          start with the chat open
 *   data-article="ID"         answer from this article first (the page's own), from the others
 *                             only when it does not answer, and say so
 *   data-scope='{"tags": ["kubernetes"]}'  answer only from these passages: JSON of the API's
 *                             `scope` (articles, date_from, date_to, tags, speaker)
 *
 * The page can ask a question for the user (it opens the chat and sends it):
 *
 *   window.InterviewQA.ask("你的问题？");
 *   document.dispatchEvent(new CustomEvent("qa:ask", { detail: { question: "你的问题？" } }));
 *
 * The greeting suggests the service's first example question (GET /api/examples,
 * the example_questions setting), or none when it has none.
 *
 * Everything lives in a Shadow DOM, so page styles cannot reach in and ours
 * cannot leak out. Server text is only ever set with textContent.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var API = ((script && script.dataset.api) || (script ? new URL(script.src).origin : location.origin))
    .replace(/\/+$/, "");
  var ARTICLE = (script && script.dataset.article) || null;
  var SCOPE = readScope(script && script.dataset.scope);
  var MAX_HISTORY_TURNS = 10; // the service only needs the latest turns
  var MAX_TURN_CHARS = 4000;  // the API's limit on one turn

  var TEXT = {
    zh: {
      open: "打开文章问答", close: "关闭", title: "文章问答", toggle: "问答",
      placeholder: "输入问题，按 Enter 发送", input: "你的问题", send: "发送",
      thinking: "正在查找答案…", noAnswer: "文章中没有找到这个问题的答案。",
      elsewhere: "本文没有回答这个问题，以下答案来自其他文章。",
      sources: "出处", closest: "最接近的段落", paragraph: function (n) { return "第 " + n + " 段"; },
      speaker: function (name) { return name + "："; },
      unreachable: function (api) { return "无法连接到问答服务（" + api + "），请检查网络后重试。"; },
      refused: function (origin, api) {
        return "问答服务（" + api + "）在运行，但不接受来自本页（" + origin + "）的请求：" +
          "请把 " + origin + " 加到服务的 cors_origins 设置（环境变量 QA_CORS_ORIGINS）。";
      },
      failed: function (status, message) { return "服务出错（" + status + "）：" + message; },
      welcome: "你好！可以问我关于这些文章的问题。",
      welcomeWith: function (question) { return "你好！可以问我关于这些文章的问题，例如“" + question + "”"; },
      voteUp: "有帮助", voteDown: "没帮助", voted: "谢谢反馈！", voteFailed: "反馈没有送出，请再试一次。",
    },
    en: {
      open: "Open article Q&A", close: "Close", title: "Ask the articles", toggle: "Ask",
      placeholder: "Ask a question, press Enter", input: "Your question", send: "Send",
      thinking: "Looking for the answer…", noAnswer: "The articles do not answer this question.",
      elsewhere: "This article does not answer that; the answer below comes from other articles.",
      sources: "Sources", closest: "Closest passages", paragraph: function (n) { return "paragraph " + n; },
      speaker: function (name) { return name + ": "; },
      unreachable: function (api) { return "Cannot reach the Q&A service (" + api + "). Check the connection and retry."; },
      refused: function (origin, api) {
        return "The Q&A service (" + api + ") is up but does not accept requests from this page (" +
          origin + "): add " + origin + " to the service's cors_origins setting (QA_CORS_ORIGINS).";
      },
      failed: function (status, message) { return "The service failed (" + status + "): " + message; },
      welcome: "Hi! Ask me about the articles.",
      welcomeWith: function (question) { return "Hi! Ask me about the articles, e.g. “" + question + "”"; },
      voteUp: "Helpful", voteDown: "Not helpful", voted: "Thanks for the feedback!",
      voteFailed: "The feedback was not sent; try again.",
    },
  };

  /* data-lang, else the page's <html lang>, else the browser's language:
   * zh-CN, zh-Hant… are Chinese; a language without labels gets English. */
  function language() {
    var wanted = (script && script.dataset.lang) || document.documentElement.lang || navigator.language || "";
    var primary = wanted.toLowerCase().split("-")[0];
    return Object.prototype.hasOwnProperty.call(TEXT, primary) ? primary : "en";
  }
  var T = TEXT[language()];

  var CSS = [
    ":host{all:initial;font-family:system-ui,-apple-system,'PingFang SC','Noto Sans CJK SC','Microsoft YaHei',sans-serif;font-size:15px;line-height:1.5;color:#1f2328}",
    "*{box-sizing:border-box}",
    ".toggle{position:fixed;right:16px;bottom:16px;z-index:2147483000;border:0;border-radius:24px;padding:12px 20px;background:#0b5cad;color:#fff;font:inherit;font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}",
    ".toggle:focus-visible,button:focus-visible,textarea:focus-visible,a:focus-visible{outline:3px solid #f0a000;outline-offset:2px}",
    ".panel{position:fixed;right:16px;bottom:72px;z-index:2147483000;width:min(400px,calc(100vw - 32px));height:min(600px,calc(100vh - 96px));display:flex;flex-direction:column;background:#fff;border:1px solid #d0d7de;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.2);overflow:hidden}",
    ".panel[hidden]{display:none}",
    "header{display:flex;align-items:center;justify-content:space-between;padding:10px 14px;background:#0b5cad;color:#fff}",
    "h2{margin:0;font-size:16px}",
    ".close{border:0;background:transparent;color:#fff;font:inherit;font-size:20px;cursor:pointer;padding:0 6px}",
    ".log{position:relative;flex:1;overflow-y:auto;overflow-x:hidden;padding:12px;display:flex;flex-direction:column;gap:10px}",
    ".msg{max-width:100%;padding:8px 12px;border-radius:10px;overflow-wrap:anywhere;white-space:pre-wrap}",
    ".user{align-self:flex-end;background:#0b5cad;color:#fff}",
    ".bot{align-self:flex-start;background:#f3f5f7}",
    ".error{background:#fdecea;color:#8a1c12;border:1px solid #f5c2bd}",
    ".notice{color:#7a4b00;font-weight:600;margin:0 0 6px}",
    ".loading{color:#57606a;font-style:italic}",
    ".answer{margin:0 0 6px}",
    ".ref{font-size:12px;vertical-align:super;margin-left:2px;color:#0b5cad;text-decoration:none}",
    "ol{margin:6px 0 0;padding:0;list-style:none;display:flex;flex-direction:column;gap:6px}",
    "li{border-top:1px solid #d0d7de;padding-top:6px}",
    ".source{font-size:13px;color:#57606a}",
    ".source a{color:#0b5cad}",
    ".passage{margin:4px 0 0;font-size:14px;white-space:pre-wrap}",
    "mark{background:#fff1a8;color:inherit;padding:0 1px}",
    ".speaker{font-weight:600}",
    ".nearest li{border-top-style:dashed}",
    ".nearest .passage{color:#57606a}",
    // The form comes before the log in the DOM (Tab goes on from Send to the
    // citations, not out of the panel) and below it on screen.
    "form{order:1;display:flex;gap:8px;padding:10px;border-top:1px solid #d0d7de}",
    "textarea{flex:1;min-width:0;resize:none;height:44px;padding:8px 10px;border:1px solid #afb8c1;border-radius:8px;font:inherit}",
    ".send{border:0;border-radius:8px;padding:0 16px;background:#0b5cad;color:#fff;font:inherit;cursor:pointer}",
    ".send:disabled{background:#8fa9c4;cursor:progress}",
    ".votes{display:flex;gap:6px;align-items:center;margin-top:6px}",
    ".vote{border:1px solid #d0d7de;border-radius:6px;background:#fff;font:inherit;padding:0 8px;cursor:pointer}",
    ".vote[aria-pressed=true]{background:#dbeafe;border-color:#0b5cad}",
    ".thanks{font-size:12px;color:#57606a}",
    "@media (max-width:480px){.panel{left:8px;right:8px;bottom:64px;width:auto;height:calc(100vh - 80px)}.toggle{right:8px;bottom:8px}}",
  ].join("\n");

  /* el() and safeUrl() stand word for word in editors.js as well, on
   * purpose: other sites embed this widget with one script tag, so it loads
   * no file of ours beside itself, and the editors' page does not load the
   * widget. tests/api/test_pages.py checks that the two copies stay the same. */
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function safeUrl(url) {
    try {
      var parsed = new URL(url);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (e) { return null; }
  }

  /* The passage text with its [start, end) highlights in <mark>. Offsets count
   * code points (Python's str), so the text is split into code points, not
   * UTF-16 units. */
  function highlighted(out, text, highlights) {
    var chars = Array.from(text), at = 0;
    highlights.slice().sort(function (a, b) { return a[0] - b[0]; }).forEach(function (span) {
      var start = Math.max(span[0], at), end = Math.min(span[1], chars.length);
      if (start >= end) return;
      out.appendChild(document.createTextNode(chars.slice(at, start).join("")));
      out.appendChild(el("mark", {}, chars.slice(start, end).join("")));
      at = end;
    });
    out.appendChild(document.createTextNode(chars.slice(at).join("")));
    return out;
  }

  /* "陈恺：" where the passage says who speaks (interviews), else nothing;
   * nothing either when `text` already opens with the name ("陈恺说，……"). */
  function speakerLabel(passage, text) {
    var name = passage.speaker || passage.citation.speaker;
    var named = name && text.replace(/^[\u201c\u201d"\u300c\u300e\uff08( ]+/, "").indexOf(name) === 0;
    return name && !named ? el("span", { class: "speaker" }, T.speaker(name)) : document.createTextNode("");
  }

  function citationLink(citation, label) {
    var url = citation.url && safeUrl(citation.url);
    if (!url) return el("span", {}, label);
    return el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, label);
  }

  /* One source: its citation, then its text; the answering sentences are
   * marked only in the passage the answer comes from (not in the other
   * sources, nor in the closest material). */
  function sourceItem(passage, marked) {
    var c = passage.citation, item = el("li", { "data-rank": String(passage.rank) });
    var source = el("div", { class: "source" }, "[" + passage.rank + "] ");
    source.appendChild(citationLink(c, c.title));
    var where = [c.section, T.paragraph(c.paragraph)].filter(Boolean).join(" · ");
    source.appendChild(document.createTextNode(" · " + where));
    var text = el("p", { class: "passage" });
    text.appendChild(speakerLabel(passage, passage.text));
    item.append(source, highlighted(text, passage.text, marked ? passage.highlights : []));
    return item;
  }

  /* `answering`: the rank of the passage the answer comes from; null for the closest material. */
  function sourceList(heading, passages, answering) {
    var section = el("div", { class: answering !== null ? "sources" : "sources nearest" });
    section.appendChild(el("div", { class: "source" }, heading));
    var list = el("ol", { "aria-label": heading });
    passages.slice(0, 3).forEach(function (p) { list.appendChild(sourceItem(p, p.rank === answering)); });
    section.appendChild(list);
    return section;
  }

  function answerLine(answer, passages) {
    var line = el("p", { class: "answer" });
    var cited = passages.filter(function (p) { return p.rank === answer.passage; })[0];
    if (cited) line.appendChild(speakerLabel(cited, answer.text));
    line.appendChild(document.createTextNode(answer.text));
    if (cited && cited.citation.url) {
      var ref = citationLink(cited.citation, "[" + answer.passage + "]");
      ref.classList.add("ref");
      line.appendChild(ref);
    }
    return line;
  }

  /* An answer with its sources; or the notice that there is none, above the
   * closest passages, shown unmarked so that they do not read as an answer. */
  function answerView(data) {
    var box = el("div", { class: "msg bot" }), answered = Boolean(data.answerable && data.answer);
    if (answered && data.from_elsewhere) box.appendChild(el("p", { class: "notice elsewhere" }, T.elsewhere));
    box.appendChild(answered ? answerLine(data.answer, data.passages) : el("p", { class: "notice" }, T.noAnswer));
    var shown = answered ? sourcesOf(data) : data.passages;
    if (shown.length) box.appendChild(sourceList(answered ? T.sources : T.closest, shown,
                                                 answered ? data.answer.passage : null));
    return box;
  }

  /* 👍/👎 under an answer that the question log names (`answer_id`): one
   * vote per answer; a second click changes it. */
  function voteBar(answerId) {
    var bar = el("div", { class: "votes" }), note = el("span", { class: "thanks", role: "status" });
    var buttons = [["up", "👍", T.voteUp], ["down", "👎", T.voteDown]].map(function (v) {
      var button = el("button", { class: "vote", type: "button", "aria-label": v[2], "aria-pressed": "false",
        title: v[2], "data-vote": v[0] }, v[1]);
      button.addEventListener("click", function () {
        fetch(API + "/api/answers/" + encodeURIComponent(answerId) + "/vote", { method: "POST",
          headers: { "Content-Type": "application/json" }, body: JSON.stringify({ vote: v[0] }) })
          .then(function (response) {
            if (!response.ok) throw new Error(String(response.status));
            buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b === button)); });
            note.textContent = T.voted;
          })
          .catch(function () { note.textContent = T.voteFailed; });
      });
      return button;
    });
    bar.append(buttons[0], buttons[1], note);
    return bar;
  }

  function newConversationId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return "w-" + Array.from(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  /* The passages to cite: those whose rank is in `sources` (the service leaves
   * out passages scoring far below the best); all of them from an older service. */
  function sourcesOf(data) {
    if (!Array.isArray(data.sources)) return data.passages;
    return data.passages.filter(function (p) { return data.sources.indexOf(p.rank) >= 0; });
  }

  function Widget() {
    this.history = [];
    this.conversation = newConversationId(); // for the question log: this page's conversation
    this.host = el("div", { "data-qa-widget": "" });
    var root = this.host.attachShadow({ mode: "open" });
    root.appendChild(el("style", {}, CSS));
    this.toggle = el("button", { class: "toggle", type: "button", "aria-expanded": "false",
      "aria-controls": "qa-panel", "aria-label": T.open }, T.toggle);
    this.panel = el("section", { class: "panel", id: "qa-panel", role: "dialog",
      "aria-labelledby": "qa-title", hidden: "" });
    var header = el("header");
    header.appendChild(el("h2", { id: "qa-title" }, T.title));
    this.closer = el("button", { class: "close", type: "button", "aria-label": T.close }, "×");
    header.appendChild(this.closer);
    this.log = el("div", { class: "log", role: "log", "aria-live": "polite" });
    this.welcome = this.log.appendChild(el("div", { class: "msg bot" }, T.welcome));
    this.form = el("form");
    this.input = el("textarea", { "aria-label": T.input, placeholder: T.placeholder,
      maxlength: "500", rows: "1" });
    this.sendButton = el("button", { class: "send", type: "submit" }, T.send);
    this.form.append(this.input, this.sendButton);
    this.panel.append(header, this.form, this.log);
    root.append(this.toggle, this.panel);
    this.bind();
  }

  Widget.prototype.bind = function () {
    var self = this;
    this.toggle.addEventListener("click", function () { self.setOpen(self.panel.hidden); });
    document.addEventListener("qa:ask", function (e) { self.askFor(e.detail && e.detail.question); });
    this.closer.addEventListener("click", function () { self.setOpen(false); });
    this.panel.addEventListener("keydown", function (e) { if (e.key === "Escape") self.setOpen(false); });
    this.form.addEventListener("submit", function (e) { e.preventDefault(); self.send(); });
    this.input.addEventListener("keydown", function (e) {
      // Enter sends; Shift+Enter is a new line; Enter that picks an IME candidate is not a send.
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        self.send();
      }
    });
  };

  Widget.prototype.setOpen = function (open) {
    if (open && !this.examplesAsked) this.greetWithExample();
    this.panel.hidden = !open;
    this.toggle.setAttribute("aria-expanded", String(open));
    (open ? this.input : this.toggle).focus();
  };

  // Once, on the first open: the greeting names an example question about
  // these articles when the service has one; on any failure it stays generic.
  Widget.prototype.greetWithExample = function () {
    this.examplesAsked = true;
    var welcome = this.welcome;
    fetch(API + "/api/examples")
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        var question = data && data.questions && data.questions[0];
        if (question) welcome.textContent = T.welcomeWith(String(question));
      })
      .catch(function () {});
  };

  Widget.prototype.add = function (node) {
    this.log.appendChild(node);
    this.reveal(node);
    return node;
  };

  Widget.prototype.replace = function (old, node) {
    old.replaceWith(node);
    this.reveal(node);
  };

  // Scroll the log (never the host page) so the new message starts in view.
  Widget.prototype.reveal = function (node) {
    this.log.scrollTop = node.offsetTop - this.log.offsetTop - 8;
  };

  Widget.prototype.send = function () {
    var question = this.input.value.trim();
    if (!question || this.sendButton.disabled) return;
    this.input.value = "";
    this.add(el("div", { class: "msg user" }, question));
    var pending = this.add(el("div", { class: "msg bot loading", role: "status" }, T.thinking));
    this.busy(true);
    var self = this;
    this.ask(question)
      .then(function (data) {
        var view = answerView(data);
        if (data.answer_id) view.appendChild(voteBar(data.answer_id));
        self.replace(pending, view);
        self.remember(question, data.answer ? data.answer.text : "");
      })
      .catch(function (error) { self.replace(pending, el("div", { class: "msg error", role: "alert" }, error.message)); })
      .then(function () { self.busy(false); self.input.focus(); });
  };

  /* The page asks for the user (window.InterviewQA.ask, the qa:ask event):
   * open, and send unless an answer is still on its way (then the question
   * waits in the text box). */
  Widget.prototype.askFor = function (question) {
    this.setOpen(true);
    this.input.value = String(question || "");
    this.send();
  };

  Widget.prototype.busy = function (on) {
    this.sendButton.disabled = on;
    this.log.setAttribute("aria-busy", String(on));
  };

  Widget.prototype.ask = function (question) {
    var request = { question: question, history: this.history.slice(-MAX_HISTORY_TURNS),
      client: "widget", conversation_id: this.conversation };
    if (ARTICLE) request.article = ARTICLE;
    if (SCOPE) request.scope = SCOPE;
    var body = JSON.stringify(request);
    return fetch(API + "/api/ask", { method: "POST", headers: { "Content-Type": "application/json" }, body: body })
      .catch(function () { return whyUnreachable().then(function (message) { throw new Error(message); }); })
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (data) {
          if (response.ok && data) return data;
          var message = data && data.error ? data.error.message : response.statusText;
          throw new Error(T.failed(response.status, message));
        });
      });
  };

  /* fetch() failed: the service is down, or (from another origin) it refused
   * this page by CORS, which fetch() reports the same way. A no-cors probe of
   * /healthz tells them apart: it needs no CORS and succeeds (with an opaque
   * response) whenever the service is up. */
  function whyUnreachable() {
    if (new URL(API, location.href).origin === location.origin) return Promise.resolve(T.unreachable(API));
    return fetch(API + "/healthz", { mode: "no-cors", cache: "no-store" }).then(
      function () { return T.refused(location.origin, API); },
      function () { return T.unreachable(API); });
  }

  Widget.prototype.remember = function (question, answer) {
    this.history.push({ role: "user", content: question.slice(0, MAX_TURN_CHARS) });
    if (answer) this.history.push({ role: "assistant", content: answer.slice(0, MAX_TURN_CHARS) });
  };

  /* data-scope's JSON; a page that writes it wrong gets the whole archive
   * and a console message, not a broken chat. */
  function readScope(text) {
    if (!text) return null;
    try {
      var scope = JSON.parse(text);
      if (scope && typeof scope === "object" && !Array.isArray(scope)) return scope;
    } catch (error) { /* reported below */ }
    console.warn("InterviewQA: data-scope is not a JSON object (e.g. {\"tags\": [\"kubernetes\"]}); " +
                 "answering from every article");
    return null;
  }

  function start() {
    var widget = new Widget();
    document.body.appendChild(widget.host);
    window.InterviewQA = { ask: function (question) { widget.askFor(question); } };
    if (script && script.dataset.open === "true") widget.setOpen(true);
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();

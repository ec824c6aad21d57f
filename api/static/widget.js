/* Interview QA chat widget. One tag adds it to any page:
 *
 *   <script src="https://qa.example.org/static/widget.js"></script>
 *
 * Options (data attributes on that tag):
 *   data-api="https://host"   where the API lives (default: where this script came from)
 *   data-lang="en"            English labels (default: Chinese)
 *   data-open="true"          start with the chat open
 *
 * Everything lives in a Shadow DOM, so page styles cannot reach in and ours
 * cannot leak out. Server text is only ever set with textContent.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var API = ((script && script.dataset.api) || (script ? new URL(script.src).origin : location.origin))
    .replace(/\/+$/, "");
  var MAX_HISTORY_TURNS = 10; // the service only needs the latest turns
  var MAX_TURN_CHARS = 4000;  // the API's limit on one turn

  var TEXT = {
    zh: {
      open: "打开文章问答", close: "关闭", title: "文章问答", toggle: "问答",
      placeholder: "输入问题，按 Enter 发送", input: "你的问题", send: "发送",
      thinking: "正在查找答案…", noAnswer: "文章中没有找到答案，以下是最接近的段落：",
      sources: "出处", paragraph: function (n) { return "第 " + n + " 段"; },
      unreachable: function (api) { return "无法连接到问答服务（" + api + "），请检查网络后重试。"; },
      failed: function (status, message) { return "服务出错（" + status + "）：" + message; },
      welcome: "你好！可以问我关于文章的问题，例如“ACP 2.0 是什么？”",
    },
    en: {
      open: "Open article Q&A", close: "Close", title: "Ask the articles", toggle: "Ask",
      placeholder: "Ask a question, press Enter", input: "Your question", send: "Send",
      thinking: "Looking for the answer…", noAnswer: "The articles do not answer this; the closest passages:",
      sources: "Sources", paragraph: function (n) { return "paragraph " + n; },
      unreachable: function (api) { return "Cannot reach the Q&A service (" + api + "). Check the connection and retry."; },
      failed: function (status, message) { return "The service failed (" + status + "): " + message; },
      welcome: "Hi! Ask me about the articles, e.g. “What does Captain do?”",
    },
  };
  var T = TEXT[(script && script.dataset.lang) === "en" ? "en" : "zh"];

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
    "form{display:flex;gap:8px;padding:10px;border-top:1px solid #d0d7de}",
    "textarea{flex:1;min-width:0;resize:none;height:44px;padding:8px 10px;border:1px solid #afb8c1;border-radius:8px;font:inherit}",
    ".send{border:0;border-radius:8px;padding:0 16px;background:#0b5cad;color:#fff;font:inherit;cursor:pointer}",
    ".send:disabled{background:#8fa9c4;cursor:progress}",
    "@media (max-width:480px){.panel{left:8px;right:8px;bottom:64px;width:auto;height:calc(100vh - 80px)}.toggle{right:8px;bottom:8px}}",
  ].join("\n");

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
  function highlighted(text, highlights) {
    var chars = Array.from(text), out = el("p", { class: "passage" }), at = 0;
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

  function citationLink(citation, label) {
    var url = citation.url && safeUrl(citation.url);
    if (!url) return el("span", {}, label);
    return el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, label);
  }

  function sourceItem(passage) {
    var c = passage.citation, item = el("li", { "data-rank": String(passage.rank) });
    var source = el("div", { class: "source" }, "[" + passage.rank + "] ");
    source.appendChild(citationLink(c, c.title));
    var where = [c.section, T.paragraph(c.paragraph)].filter(Boolean).join(" · ");
    source.appendChild(document.createTextNode(" · " + where));
    item.appendChild(source);
    item.appendChild(highlighted(passage.text, passage.highlights));
    return item;
  }

  function answerView(data) {
    var box = el("div", { class: "msg bot" });
    if (!data.answerable) box.appendChild(el("p", { class: "notice" }, T.noAnswer));
    if (data.answerable && data.answer) {
      var answer = el("p", { class: "answer" }, data.answer.text);
      var cited = data.passages[data.answer.passage - 1];
      if (cited && cited.citation.url) {
        var ref = citationLink(cited.citation, "[" + data.answer.passage + "]");
        ref.classList.add("ref");
        answer.appendChild(ref);
      }
      box.appendChild(answer);
    }
    var shown = data.passages.slice(0, 3);
    if (shown.length) {
      box.appendChild(el("div", { class: "source" }, T.sources));
      var list = el("ol", { "aria-label": T.sources });
      shown.forEach(function (p) { list.appendChild(sourceItem(p)); });
      box.appendChild(list);
    }
    return box;
  }

  function Widget() {
    this.history = [];
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
    this.log.appendChild(el("div", { class: "msg bot" }, T.welcome));
    this.form = el("form");
    this.input = el("textarea", { "aria-label": T.input, placeholder: T.placeholder,
      maxlength: "500", rows: "1" });
    this.sendButton = el("button", { class: "send", type: "submit" }, T.send);
    this.form.append(this.input, this.sendButton);
    this.panel.append(header, this.log, this.form);
    root.append(this.toggle, this.panel);
    this.bind();
  }

  Widget.prototype.bind = function () {
    var self = this;
    this.toggle.addEventListener("click", function () { self.setOpen(self.panel.hidden); });
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
    this.panel.hidden = !open;
    this.toggle.setAttribute("aria-expanded", String(open));
    (open ? this.input : this.toggle).focus();
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
        self.replace(pending, answerView(data));
        self.remember(question, data.answer ? data.answer.text : "");
      })
      .catch(function (error) { self.replace(pending, el("div", { class: "msg error", role: "alert" }, error.message)); })
      .then(function () { self.busy(false); self.input.focus(); });
  };

  Widget.prototype.busy = function (on) {
    this.sendButton.disabled = on;
    this.log.setAttribute("aria-busy", String(on));
  };

  Widget.prototype.ask = function (question) {
    var body = JSON.stringify({ question: question, history: this.history.slice(-MAX_HISTORY_TURNS) });
    return fetch(API + "/api/ask", { method: "POST", headers: { "Content-Type": "application/json" }, body: body })
      .catch(function () { throw new Error(T.unreachable(API)); })
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (data) {
          if (response.ok && data) return data;
          var message = data && data.error ? data.error.message : response.statusText;
          throw new Error(T.failed(response.status, message));
        });
      });
  };

  Widget.prototype.remember = function (question, answer) {
    this.history.push({ role: "user", content: question.slice(0, MAX_TURN_CHARS) });
    if (answer) this.history.push({ role: "assistant", content: answer.slice(0, MAX_TURN_CHARS) });
  };

  function start() {
    var widget = new Widget();
    document.body.appendChild(widget.host);
    if (script && script.dataset.open === "true") widget.setOpen(true);
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();

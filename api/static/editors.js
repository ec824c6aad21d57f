/* The editors' page: lists the questions to review (GET /editors/api/questions)
 * and stores an editor's mark (POST /editors/api/marks), the token sent as
 * `Authorization: Bearer`. The token is kept in sessionStorage for this tab
 * only. Server text is only ever set with textContent. */
(function () {
  "use strict";

  var KEY = "qa-editors-token";
  var VERDICTS = {
    passage: "答案在第 {n} 段 · answer is in passage {n}",
    unanswerable: "无法回答 · not answerable",
    ignore: "忽略 · ignore",
  };
  var form = document.getElementById("token-form");
  var input = document.getElementById("token");
  var status = document.getElementById("status");
  var list = document.getElementById("groups");

  /* el() and safeUrl() are widget.js's, copied word for word: the widget is
   * embedded with one script tag and so loads no shared file, and this page
   * does not load the widget. tests/api/test_pages.py checks the copies match. */
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

  function call(method, path, body) {
    var headers = { Authorization: "Bearer " + sessionStorage.getItem(KEY) };
    if (body) headers["Content-Type"] = "application/json";
    return fetch(path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined })
      .then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) throw new Error(response.status + ": " + (data.error ? data.error.message : response.statusText));
          return data;
        });
      });
  }

  function say(text, isError) {
    status.textContent = text;
    status.className = isError ? "status error" : "status";
  }

  function markText(mark) {
    if (!mark) return "未标记 · not marked";
    var label = mark.verdict === "passage" ? "答案在 · answer is in " + mark.passage_id : VERDICTS[mark.verdict];
    return "已标记 · marked: " + label + (mark.expect ? " — expect “" + mark.expect + "”" : "");
  }

  function mark(group, verdict, passageId, button) {
    button.disabled = true;
    return call("POST", "/editors/api/marks", { question: group.question, verdict: verdict, passage_id: passageId || null })
      .then(function () { say("已保存 · saved: " + group.question); return load(); })
      .catch(function (error) { say(error.message, true); button.disabled = false; });
  }

  function markButton(group, verdict, label, passageId) {
    var button = el("button", { type: "button" }, label);
    button.addEventListener("click", function () { mark(group, verdict, passageId, button); });
    return button;
  }

  /* The answer is in a passage the service did not get: its id, typed. */
  function otherPassage(group) {
    var other = el("form", { class: "actions" });
    var input = el("input", { "aria-label": "答案在另一段（id）· answer is in another passage (id)",
      placeholder: "article-id#p3", required: "" });
    var button = el("button", { type: "submit" }, "答案在这一段 · answer is in this passage");
    other.append(input, button);
    other.addEventListener("submit", function (e) {
      e.preventDefault();
      mark(group, "passage", input.value.trim(), button);
    });
    return other;
  }

  function passageItem(group, passage, n) {
    var item = el("li");
    var source = el("div", { class: "counts" }, passage.id + " · ");
    var url = passage.url && safeUrl(passage.url);
    source.appendChild(url ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, passage.title || url)
      : el("span", {}, passage.title || "（索引里已没有这一段 · no longer in the index）"));
    item.appendChild(source);
    if (passage.text) item.appendChild(el("p", { class: "passage" }, passage.text));
    item.appendChild(markButton(group, "passage", VERDICTS.passage.replace(/\{n\}/g, n), passage.id));
    return item;
  }

  function groupView(group) {
    var box = el("section", { class: "group", "aria-label": group.question });
    box.appendChild(el("h2", {}, group.question));
    box.appendChild(el("p", { class: "counts" }, "问了 " + group.count + " 次 · asked " + group.count +
      " times; 未回答 · not answered " + group.unanswered + "; 👎 " + group.down_votes + "; last " + group.last_asked));
    if (group.wordings.length > 1) box.appendChild(el("p", { class: "wordings" }, "措辞 · wordings: " + group.wordings.join(" ｜ ")));
    box.appendChild(el("p", { class: group.mark ? "mark done" : "mark" }, markText(group.mark)));
    var passages = el("ol", { "aria-label": "得到的段落 · passages it got" });
    group.passages.forEach(function (p, i) { passages.appendChild(passageItem(group, p, i + 1)); });
    box.appendChild(passages);
    var actions = el("div", { class: "actions" });
    actions.append(markButton(group, "unanswerable", VERDICTS.unanswerable), markButton(group, "ignore", VERDICTS.ignore));
    box.append(actions, otherPassage(group));
    return box;
  }

  function load() {
    return call("GET", "/editors/api/questions").then(function (data) {
      list.replaceChildren.apply(list, data.groups.map(groupView));
      if (!status.textContent || status.className.indexOf("error") >= 0) {
        say(data.groups.length + " 组问题 · groups (相近措辞：字符二元组 Jaccard ≥ " + data.similarity + ")");
      }
    }).catch(function (error) { list.replaceChildren(); say(error.message, true); });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    sessionStorage.setItem(KEY, input.value.trim());
    say("");
    load();
  });
  if (sessionStorage.getItem(KEY)) load();
})();

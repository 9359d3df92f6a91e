/*
 * 政策问答助手 · 门户嵌入组件
 *   <script src="https://助手地址/widget.js" data-key="…" async></script>
 *   (data-kb="NAME": ask that knowledge base instead of default; the key must be allowed it)
 *
 * A floating button and a chat panel inside a Shadow DOM (the page's CSS cannot reach in, ours cannot leak
 * out). Answers stream from POST /api/chat/stream (fetch + ReadableStream: EventSource cannot POST).
 * Safety rule: every string from the server (answers, passages, titles, messages) goes into the page as a
 * text node (textContent / createTextNode). This file never uses innerHTML or any other HTML parser, so
 * document text can never become markup or run as code. No external assets: no CDN, no web fonts.
 */
(function () {
  "use strict";

  var TAG = "policy-assistant-widget";
  var MAX_HISTORY = 20; // messages; the API accepts at most 20
  var script = document.currentScript;
  if (!script) {
    var found = document.querySelectorAll('script[src*="widget.js"]');
    script = found[found.length - 1];
  }
  if (!script || document.querySelector(TAG)) return; // one widget per page
  var key = script.getAttribute("data-key") || "";
  var kb = script.getAttribute("data-kb") || ""; // empty: the default knowledge base
  var base = new URL(".", script.src).href; // the assistant's address: wherever this file came from

  var CSS = [
    /* !important on :host wins over the page's !important rules (inner context wins for important
       declarations); all:initial stops the page's inherited colour and font sizes reaching inside. */
    ":host{all:initial!important;display:block!important;position:static!important;color:#1f2328!important;",
    "font:14px/1.6 system-ui,-apple-system,'PingFang SC','Microsoft YaHei','Noto Sans CJK SC','WenQuanYi Zen Hei',sans-serif!important}",
    "*,*::before,*::after{box-sizing:border-box}",
    "[hidden]{display:none!important}",
    "button,textarea{font:inherit;color:inherit;margin:0}",
    "button:focus-visible,textarea:focus-visible,[tabindex]:focus-visible{outline:3px solid #1a73e8;outline-offset:2px}",
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:56px;height:56px;border:0;border-radius:50%;",
    "background:#b71c1c;color:#fff;font-size:22px;font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.3);",
    "display:flex;align-items:center;justify-content:center}",
    ".panel{position:fixed;right:20px;bottom:88px;z-index:2147483001;width:400px;max-width:calc(100vw - 24px);",
    "height:min(620px,calc(100vh - 110px));display:flex;flex-direction:column;background:#fff;color:#1f2328;",
    "border:1px solid #d0d7de;border-radius:12px;box-shadow:0 12px 32px rgba(0,0,0,.22);overflow:hidden;text-align:left}",
    ".head{display:flex;align-items:center;justify-content:space-between;gap:8px;padding:8px 8px 8px 14px;background:#b71c1c;color:#fff}",
    "h2{margin:0;font-size:16px;font-weight:600;color:inherit}",
    ".icon{width:36px;height:36px;border:0;border-radius:6px;background:transparent;color:#fff;font-size:22px;line-height:1;cursor:pointer}",
    ".body{position:relative;flex:1;display:flex;flex-direction:column;min-height:0}",
    ".log{flex:1;overflow-y:auto;padding:12px;background:#f6f8fa}",
    ".hint{margin:0 0 10px;color:#57606a;font-size:13px}",
    ".msg{margin:0 0 10px;padding:8px 12px;border-radius:10px;max-width:92%;overflow-wrap:anywhere}",
    ".text{white-space:pre-wrap}",
    ".user{margin-left:auto;width:fit-content;background:#b71c1c;color:#fff}",
    ".bot{background:#fff;border:1px solid #d0d7de}",
    ".bot.refused{background:#eceff1;border:1px dashed #78909c;color:#37474f}",
    ".label{display:inline-block;margin:0 0 4px;padding:0 6px;border-radius:4px;background:#607d8b;color:#fff;font-size:12px}",
    ".error{background:#fff4e5;border:1px solid #e8a25b;color:#7a4100}",
    ".line{margin:0}",
    ".detail{margin:4px 0 0;font-size:12px;color:#57606a}",
    ".notice{margin:6px 0 0;font-size:12px;color:#7a4100}",
    ".marker{display:inline;padding:0 3px;margin:0 1px;border:1px solid #1a73e8;border-radius:4px;background:#e8f0fe;",
    "color:#1a56c4;font-size:12px;line-height:1.4;cursor:pointer}",
    ".sources{margin:8px 0 0;padding:6px 0 0;border-top:1px solid #eaeef2;font-size:13px}",
    ".sources h3{margin:0;font-size:12px;font-weight:600;color:#57606a}",
    ".sources ol{margin:0;padding:0;list-style:none}",
    ".source{display:block;width:100%;margin-top:2px;padding:2px 0;border:0;background:none;color:#1a56c4;text-align:left;cursor:pointer}",
    ".badge{display:inline-block;margin-left:4px;padding:0 6px;border:1px solid #f5c2c0;border-radius:4px;background:#fdecea;color:#b71c1c;font-size:12px}",
    ".ask{display:flex;gap:8px;padding:10px;border-top:1px solid #d0d7de;background:#fff}",
    "textarea{flex:1;min-width:0;min-height:42px;max-height:120px;padding:8px;border:1px solid #8c959f;border-radius:8px;resize:none;background:#fff}",
    ".send{padding:0 16px;border:0;border-radius:8px;background:#b71c1c;color:#fff;cursor:pointer}",
    ".send[aria-disabled=true]{opacity:.6;cursor:progress}",
    ".cite{position:absolute;inset:0;overflow-y:auto;padding:14px;background:#fff}",
    ".cite h3{margin:0 0 6px;font-size:15px;font-weight:600}",
    ".cite dl{display:grid;grid-template-columns:auto 1fr;gap:2px 10px;margin:8px 0;font-size:13px}",
    ".cite dt{color:#57606a}.cite dd{margin:0;overflow-wrap:anywhere}",
    ".quote{margin:10px 0;padding:8px 12px;border-left:4px solid #b71c1c;background:#f6f8fa;white-space:pre-wrap;overflow-wrap:anywhere}",
    ".warn{margin:6px 0;font-size:12px;color:#b71c1c}",
    ".back{padding:6px 14px;border:1px solid #8c959f;border-radius:8px;background:#fff;cursor:pointer}",
    ".sr-only{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}",
    "@media (max-width:480px){.panel{left:0;right:0;bottom:0;width:auto;max-width:100vw;height:85vh;border-radius:12px 12px 0 0}",
    ".launcher{right:12px;bottom:12px}}"
  ].join("");

  /** An element with attributes and children; string children become text nodes, never markup. */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function str(value) { return value === null || value === undefined ? "" : String(value); }

  var host = document.createElement(TAG);
  var root = host.attachShadow({ mode: "open" });
  try { // a constructed stylesheet is not blocked by a page CSP without 'unsafe-inline' for styles
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } catch (e) {
    var style = document.createElement("style");
    style.textContent = CSS;
    root.appendChild(style);
  }

  var launcher = el("button", { type: "button", "class": "launcher", "aria-label": "打开政策问答助手",
    "aria-expanded": "false", "aria-controls": "pa-panel" }, ["问"]);
  var closeButton = el("button", { type: "button", "class": "icon", "aria-label": "关闭问答助手" }, ["×"]);
  var log = el("div", { "class": "log", role: "log", "aria-live": "polite", "aria-label": "对话记录", tabindex: "0" }, [
    el("p", { "class": "hint" }, ["可询问干部激励、容错纠错等政策规定。回答中的 [1] 等编号可点开查看原文。"])
  ]);
  var input = el("textarea", { id: "pa-q", rows: "2", maxlength: "2000", "aria-label": "输入问题",
    placeholder: "请输入问题，按回车发送" });
  var sendButton = el("button", { type: "submit", "class": "send" }, ["发送"]);
  var form = el("form", { "class": "ask", "aria-label": "提问" }, [input, sendButton]);
  var citeView = el("section", { "class": "cite", role: "region", "aria-labelledby": "pa-cite-title", hidden: "" });
  var status = el("p", { "class": "sr-only", role: "status", "aria-live": "polite" });
  var panel = el("section", { id: "pa-panel", "class": "panel", role: "dialog", "aria-labelledby": "pa-title", hidden: "" }, [
    el("div", { "class": "head" }, [el("h2", { id: "pa-title" }, ["政策问答助手"]), closeButton]),
    el("div", { "class": "body" }, [log, form, citeView]),
    status
  ]);
  root.appendChild(launcher);
  root.appendChild(panel);

  var history = []; // {role, content}: kept in the page only, sent with each question
  var busy = false;
  var returnFocus = null; // the [n] marker or source a citation was opened from

  function openPanel() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    launcher.setAttribute("aria-label", "收起政策问答助手");
    input.focus();
  }

  function closePanel() {
    closeCitation(false);
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", "打开政策问答助手");
    launcher.focus();
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function sectionName(c) { return str(c.article) || str(c.section).split(" > ").pop(); }

  function statusBadge(c) {
    if (c.status !== "superseded") return null;
    return el("span", { "class": "badge" }, [c.superseded_by ? "已被替代" : "已废止"]);
  }

  function openCitation(c, from) {
    returnFocus = from;
    var heading = el("h3", { id: "pa-cite-title", tabindex: "-1" }, ["[" + str(c.n) + "] 《" + str(c.title) + "》"]);
    var badge = statusBadge(c);
    if (badge) heading.appendChild(badge);
    var rows = [["文号", c.doc_number], ["发文机关", c.issuer], ["日期", c.date], ["条款", c.article],
      ["章节", c.section !== c.article ? c.section : ""]];
    var list = el("dl");
    rows.forEach(function (row) {
      if (!str(row[1])) return;
      list.appendChild(el("dt", {}, [row[0]]));
      list.appendChild(el("dd", { "data-field": row[0] }, [str(row[1])]));
    });
    var back = el("button", { type: "button", "class": "back" }, ["返回回答"]);
    back.addEventListener("click", function () { closeCitation(true); });
    var parts = [heading, list];
    if (badge) parts.push(el("p", { "class": "warn" }, ["该文件已不再有效，请以现行文件为准。"]));
    parts.push(el("blockquote", { "class": "quote", "aria-label": "引用原文" }, [str(c.text)]), back);
    citeView.replaceChildren.apply(citeView, parts);
    citeView.hidden = false;
    heading.focus();
  }

  function closeCitation(restoreFocus) {
    if (citeView.hidden) return;
    citeView.hidden = true;
    citeView.replaceChildren();
    if (restoreFocus && returnFocus && returnFocus.isConnected) returnFocus.focus();
    returnFocus = null;
  }

  function citationButton(c, className, label) {
    var button = el("button", { type: "button", "class": className,
      "aria-label": "查看引用 " + str(c.n) + "：《" + str(c.title) + "》" + sectionName(c), "data-n": str(c.n) }, [label]);
    button.addEventListener("click", function () { openCitation(c, button); });
    return button;
  }

  function addUserMessage(text) {
    log.appendChild(el("div", { "class": "msg user" }, [el("span", { "class": "sr-only" }, ["我的问题："]), text]));
    scrollDown();
  }

  /** An answer being streamed: text with [n] markers turned into buttons as it arrives. */
  function Answer() {
    this.text = el("div", { "class": "text" });
    this.node = el("div", { "class": "msg bot", "aria-busy": "true" }, [el("span", { "class": "sr-only" }, ["助手回答："]), this.text]);
    this.citations = new Map();
    this.said = "";
    this.pending = ""; // an unfinished "[12" waits for the rest of the marker
    log.appendChild(this.node);
    scrollDown();
  }

  Answer.prototype.setCitations = function (list) {
    var self = this;
    (Array.isArray(list) ? list : []).forEach(function (c) { if (c && c.n !== undefined) self.citations.set(Number(c.n), c); });
  };

  Answer.prototype.append = function (piece) {
    piece = str(piece);
    this.said += piece;
    var text = this.pending + piece;
    var tail = text.match(/\[\d{0,4}$/);
    this.pending = tail ? tail[0] : "";
    this.render(tail ? text.slice(0, tail.index) : text);
    scrollDown();
  };

  Answer.prototype.render = function (text) {
    var pattern = /\[(\d{1,4})\]/g, last = 0, match;
    while ((match = pattern.exec(text)) !== null) {
      if (match.index > last) this.text.appendChild(document.createTextNode(text.slice(last, match.index)));
      var c = this.citations.get(Number(match[1]));
      this.text.appendChild(c ? citationButton(c, "marker", match[0]) : document.createTextNode(match[0]));
      last = pattern.lastIndex;
    }
    if (last < text.length) this.text.appendChild(document.createTextNode(text.slice(last)));
  };

  Answer.prototype.finish = function (info) {
    if (this.pending) { this.render(this.pending); this.pending = ""; }
    info = info || {};
    if (info.refused) {
      this.node.classList.add("refused");
      this.node.insertBefore(el("p", { "class": "label" }, ["未找到直接依据"]), this.node.firstChild);
    }
    if (info.notice) this.node.appendChild(el("p", { "class": "notice" }, [str(info.notice)]));
    var cited = {}, re = /\[(\d{1,4})\]/g, m;
    while ((m = re.exec(this.said)) !== null) cited[Number(m[1])] = true;
    var all = Array.from(this.citations.values());
    var shown = all.filter(function (c) { return cited[Number(c.n)]; });
    if (!shown.length) shown = all;
    // the passages the answer rests on; the others retrieved are listed apart, not as the answer
    var related = all.filter(function (c) { return shown.indexOf(c) < 0; });
    var node = this.node;
    function sourceList(items, heading) {
      var list = el("ol");
      items.forEach(function (c) {
        var item = el("li", {}, [citationButton(c, "source", "[" + str(c.n) + "] 《" + str(c.title) + "》" + sectionName(c))]);
        var badge = statusBadge(c);
        if (badge) item.firstChild.appendChild(badge);
        list.appendChild(item);
      });
      node.appendChild(el("div", { "class": "sources" }, [el("h3", {}, [heading]), list]));
    }
    if (shown.length) sourceList(shown, info.refused ? "最接近的条文（仅供参考）" : "参考条文");
    if (related.length) sourceList(related, "相关条文（未作为回答依据）");
    this.node.setAttribute("aria-busy", "false");
    status.textContent = info.refused ? "未找到直接依据" : "回答完成，引用 " + shown.length + " 条条文";
    scrollDown();
  };

  Answer.prototype.fail = function (message, detail) {
    if (this.pending) { this.render(this.pending); this.pending = ""; }
    var box = el("div", { "class": "msg error", role: "alert" }, [el("p", { "class": "line" }, [message])]);
    if (detail && detail !== message) box.appendChild(el("p", { "class": "detail" }, [str(detail)]));
    if (!this.said) { log.replaceChild(box, this.node); } else { this.node.setAttribute("aria-busy", "false"); log.appendChild(box); }
    status.textContent = message;
    scrollDown();
  };

  /** A readable Chinese message for a refused request. */
  function httpMessage(response, detail) {
    switch (response.status) {
      case 403: return "本站点未获授权使用问答助手（403）";
      case 429:
        var wait = response.headers.get("Retry-After");
        return "提问过于频繁，请稍后再试" + (wait ? "（约 " + wait + " 秒后）" : "");
      case 422: return "问题无法处理：" + (detail || "请求格式有误");
      case 503: return "问答服务尚未就绪，请稍后再试或联系管理员（503）";
      default: return "问答服务暂时不可用（" + response.status + "），请稍后再试";
    }
  }

  /** Server-sent events from a fetch body: calls onEvent(name, data) for each complete event. */
  async function readEvents(response, onEvent) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    for (;;) {
      var chunk = await reader.read();
      buffer += decoder.decode(chunk.value || new Uint8Array(0), { stream: !chunk.done });
      buffer = buffer.replace(/\r\n?/g, "\n");
      var cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        var block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        var name = "message", data = [];
        block.split("\n").forEach(function (line) {
          var colon = line.indexOf(":");
          if (colon <= 0) return;
          var field = line.slice(0, colon), value = line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") name = value;
          else if (field === "data") data.push(value);
        });
        if (!data.length) continue;
        var parsed;
        try { parsed = JSON.parse(data.join("\n")); } catch (e) { continue; }
        onEvent(name, parsed || {});
      }
      if (chunk.done) return;
    }
  }

  async function ask(raw) {
    var question = str(raw).trim();
    if (!question || busy) return;
    busy = true;
    sendButton.setAttribute("aria-disabled", "true");
    input.value = "";
    closeCitation(false);
    addUserMessage(question);
    var answer = new Answer();
    status.textContent = "正在检索相关条文……";
    try {
      var response = await fetch(base + "api/chat/stream", {
        method: "POST", mode: "cors", credentials: "omit",
        headers: { "Content-Type": "application/json", "Accept": "text/event-stream", "X-Widget-Key": key },
        body: JSON.stringify(kb ? { question: question, history: history.slice(-MAX_HISTORY), kb: kb }
                                : { question: question, history: history.slice(-MAX_HISTORY) })
      });
      if (!response.ok) {
        var detail = "";
        try { detail = str((await response.json()).detail); } catch (e) { /* not JSON */ }
        answer.fail(httpMessage(response, detail), response.status === 422 ? "" : detail);
        return;
      }
      var finished = false, failed = false;
      await readEvents(response, function (name, data) {
        if (name === "citations") answer.setCitations(data.citations);
        else if (name === "delta") answer.append(data.text);
        else if (name === "done") { finished = true; answer.finish(data); }
        else if (name === "error") { failed = true; answer.fail("回答中断：" + (str(data.detail) || "服务出错")); }
      });
      if (finished && !failed) {
        history.push({ role: "user", content: question }, { role: "assistant", content: answer.said });
        history = history.slice(-MAX_HISTORY);
      } else if (!failed) {
        answer.fail("回答不完整：连接中断，请重试");
      }
    } catch (err) { // a network failure, or a CORS refusal the browser will not let us read
      answer.fail("无法连接问答服务：网络不通，或本站点未获授权使用问答助手");
    } finally {
      busy = false;
      sendButton.removeAttribute("aria-disabled");
    }
  }

  launcher.addEventListener("click", function () { if (panel.hidden) openPanel(); else closePanel(); });
  closeButton.addEventListener("click", closePanel);
  form.addEventListener("submit", function (event) { event.preventDefault(); ask(input.value); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { // not while an IME is composing
      event.preventDefault();
      ask(input.value);
    }
  });
  root.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    if (!citeView.hidden) closeCitation(true);
    else if (!panel.hidden) closePanel();
    else return;
    event.stopPropagation();
  });

  function mount() { document.body.appendChild(host); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();

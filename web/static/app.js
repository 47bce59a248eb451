// briefing-qa chat: turns the form into a live chat. Without this file the form still works
// (it posts to "/" and the server renders the answer). User text is only ever set with
// textContent, never parsed as HTML.
"use strict";

(function () {
  const STORE_KEY = "briefing-qa:conversation:v1";
  const MAX_HISTORY = 20;

  // ---- words in the reader's language (words.js)
  const { t, numbers } = window.briefingWords;

  const form = document.getElementById("ask-form");
  const thread = document.getElementById("thread");
  const input = document.getElementById("question");
  const send = document.getElementById("send");
  const status = document.getElementById("status");
  const empty = document.getElementById("empty");
  const newConversation = document.getElementById("new-conversation");
  if (!form || !thread || !input) return;
  // Answers below this confidence are marked "may not answer your question" (the server says
  // where the line is: service/answering/tunables.py).
  const lowConfidence = Number(thread.dataset.lowConfidence || "0");

  let turns = loadTurns();
  let popover = null;

  // ---- persistence ------------------------------------------------------------------------
  function loadTurns() {
    try {
      const data = JSON.parse(localStorage.getItem(STORE_KEY) || "[]");
      return Array.isArray(data) ? data.filter((t) => t && typeof t.question === "string") : [];
    } catch (_) {
      return [];
    }
  }
  function saveTurns() {
    try {
      localStorage.setItem(STORE_KEY, JSON.stringify(turns.slice(-50)));
    } catch (_) {
      /* storage full or disabled: the chat still works, it just will not survive a reload */
    }
  }

  // ---- rendering --------------------------------------------------------------------------
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function passageNode(text, highlights) {
    const quote = el("blockquote", "passage");
    quote.dir = "auto";
    let position = 0;
    const spans = (highlights || []).slice().sort((a, b) => a[0] - b[0]);
    for (const [a, b] of spans) {
      if (a < position || b > text.length) continue;
      quote.appendChild(document.createTextNode(text.slice(position, a)));
      quote.appendChild(el("mark", "", text.slice(a, b)));
      position = b;
    }
    quote.appendChild(document.createTextNode(text.slice(position)));
    return quote;
  }

  function citationLabel(c) {
    // The text before a document's first heading has the document's title as its section.
    const section = c.section && c.section !== c.document_title ? " — " + c.section : "";
    return c.document_title + section + (c.page ? t(", p. %(page)s", { page: c.page }) : "");
  }

  function renderTurn(turn, number) {
    const article = el("article", "turn");
    article.dataset.turn = String(number);
    const question = el("p", "question");
    question.appendChild(el("span", "visually-hidden", t("You asked:") + " "));
    question.appendChild(el("bdi", "", turn.question));
    article.appendChild(question);

    const answer = el("div", "answer " + (turn.answered ? "answered" : "not-answered"));
    answer.dataset.answered = String(turn.answered);
    if (!turn.answered) answer.appendChild(el("p", "badge", t("Not in the documents")));
    else if (typeof turn.confidence === "number" && turn.confidence < lowConfidence) {
      answer.appendChild(el("p", "badge badge-unsure", t("May not answer your question")));
    }
    if (turn.answered && turn.settles) answer.appendChild(settlesLine(turn.settles));
    const text = el("p", "answer-text");
    // A quote reads in its document's direction; a refusal is ours, in the reader's.
    if (turn.answered) text.dir = "auto";
    const byNumber = new Map((turn.citations || []).map((c) => [c.n, c]));
    const parts = turn.answer.split(/(\[\d+\])/);
    for (const part of parts) {
      const match = /^\[(\d+)\]$/.exec(part);
      const citation = match && byNumber.get(Number(match[1]));
      if (citation) {
        const link = el("a", "marker", part);
        link.href = citation.url;
        link.dataset.n = match[1];
        link.setAttribute("aria-label",
          t("Citation %(n)s: %(source)s", { n: match[1], source: citationLabel(citation) }));
        text.appendChild(link);
      } else if (part) {
        text.appendChild(document.createTextNode(part));
      }
    }
    answer.appendChild(text);

    if (turn.citations && turn.citations.length) {
      // The passages the answer quotes come first; the others wait behind "More passages".
      const quoted = new Set((turn.answer.match(/\[(\d+)\]/g) || []).map((m) => Number(m.slice(1, -1))));
      const used = turn.citations.filter((c) => quoted.has(c.n));
      const more = turn.citations.filter((c) => !quoted.has(c.n));
      answer.appendChild(citationList(used, number, t("Sources")));
      if (more.length) {
        const details = el("details", "more-sources");
        details.appendChild(el("summary", "",
          t("More passages (%(count)s)", { count: numbers.format(more.length) })));
        details.appendChild(citationList(more, number, t("More passages")));
        answer.appendChild(details);
      }
    }
    if (!turn.answered && turn.related && turn.related.length) {
      const related = el("div", "related");
      related.appendChild(el("p", "", t("Related sections you could read:")));
      const list = el("ul");
      for (const r of turn.related) {
        const item = el("li");
        const link = el("a");
        link.appendChild(el("bdi", "", r.section));
        link.href = r.url;
        item.appendChild(link);
        item.appendChild(document.createTextNode(" "));
        const title = el("span", "muted", "(");
        title.appendChild(el("bdi", "", r.document_title));
        title.appendChild(document.createTextNode(")"));
        item.appendChild(title);
        list.appendChild(item);
      }
      related.appendChild(list);
      answer.appendChild(related);
    }
    answer.appendChild(answerTools(turn));
    article.appendChild(answer);
    return article;
  }

  // What the quote settles (issue #33): the reader's yes/no question and, when the sentence
  // says it plainly, the verdict (the server decides it: service/answering/settling.py).
  function settlesLine(settles) {
    const verdicts = { yes: t("Yes"), no: t("No"), conditional: t("Only under conditions") };
    const line = el("p", "settles");
    // TRANSLATORS: before a yes/no question the quoted answer settles: "Settles: Do you sell my data? — No".
    line.dataset.verdict = settles.verdict || "";
    line.appendChild(el("span", "settles-label", t("Settles:")));
    line.appendChild(document.createTextNode(" "));
    line.appendChild(el("bdi", "", settles.question));
    if (Object.prototype.hasOwnProperty.call(verdicts, settles.verdict)) {
      line.appendChild(document.createTextNode(" \u2014 "));
      line.appendChild(el("strong", "verdict", verdicts[settles.verdict]));
    }
    return line;
  }

  function citationList(citations, number, label) {
    const list = el("ol", "citations");
    list.setAttribute("aria-label", label);
    for (const c of citations) {
      const item = el("li", "citation");
      item.id = "cite-" + number + "-" + c.n;
      item.dataset.n = String(c.n);
      const head = el("div", "citation-head");
      head.appendChild(el("span", "cite-n", "[" + c.n + "]"));
      const link = el("a", "cite-link");
      link.appendChild(el("bdi", "", citationLabel(c)));
      link.href = c.url;
      head.appendChild(link);
      item.appendChild(head);
      item.appendChild(passageNode(c.text, c.highlights));
      list.appendChild(item);
    }
    return list;
  }

  function answerTools(turn) {
    const tools = el("div", "answer-tools");
    const copy = el("button", "secondary copy", t("Copy answer"));
    copy.type = "button";
    copy.addEventListener("click", () => copyAnswer(turn, copy));
    tools.appendChild(copy);
    tools.appendChild(feedbackTools(turn));
    return tools;
  }

  // ---- feedback: 👍/👎 with an optional note --------------------------------------------
  function feedbackTools(turn) {
    const box = el("div", "feedback");
    const up = el("button", "secondary rate-up", "👍 " + t("Helpful"));
    const down = el("button", "secondary rate-down", "👎 " + t("Not right"));
    up.type = down.type = "button";
    up.setAttribute("aria-label", t("Good answer"));
    down.setAttribute("aria-label", t("Wrong or unhelpful answer"));
    box.append(up, down);
    const choose = (rating) => {
      box.replaceChildren();
      const note = el("input", "feedback-note");
      note.type = "text";
      note.maxLength = 2000;
      note.placeholder = rating === "up" ? t("What was good? (optional)") : t("What was wrong? (optional)");
      note.setAttribute("aria-label", t("Note"));
      const sendButton = el("button", "secondary send-feedback", t("Send"));
      sendButton.type = "button";
      sendButton.addEventListener("click", () => sendFeedback(turn, rating, note.value, box));
      box.append(el("span", "muted", rating === "up" ? "👍" : "👎"), note, sendButton);
      note.focus();
    };
    up.addEventListener("click", () => choose("up"));
    down.addEventListener("click", () => choose("down"));
    return box;
  }

  async function sendFeedback(turn, rating, note, box) {
    const citations = (turn.citations || []).map((c) => ({
      n: c.n, document_id: c.document_id, section: c.section, start: c.start, end: c.end,
    }));
    let ok = false;
    try {
      const response = await fetch("/feedback", {
        method: "POST",
        headers: withCsrf({ "Content-Type": "application/json" }),
        body: JSON.stringify({
          question: turn.question, answer: turn.answer, rating: rating, note: note,
          citations: citations,
        }),
      });
      ok = response.status === 201;
    } catch (_) {
      ok = false;
    }
    box.replaceChildren(el("span", ok ? "muted feedback-done" : "error",
      ok ? t("Thanks — your feedback was recorded.") : t("Feedback could not be sent.")));
  }

  // ---- signed in (local mode): calls carry the page's CSRF token -------------------------
  function withCsrf(headers) {
    const meta = document.querySelector("meta[name=csrf-token]");
    if (meta && meta.content) headers["X-CSRF-Token"] = meta.content;
    return headers;
  }

  // ---- scope: which documents to ask ------------------------------------------------------
  function chosenDocuments() {
    const boxes = Array.from(document.querySelectorAll("input[name=documents]"));
    const checked = boxes.filter((b) => b.checked).map((b) => b.value);
    return checked.length && checked.length < boxes.length ? checked : null;
  }

  function renderAll() {
    thread.replaceChildren(...turns.map((t, i) => renderTurn(t, i + 1)));
    if (empty) empty.hidden = turns.length > 0;
  }

  // ---- copy -------------------------------------------------------------------------------
  function answerAsText(turn) {
    const lines = [turn.question, "", turn.answer];
    if (turn.citations && turn.citations.length) {
      lines.push("", t("Sources:"));
      for (const c of turn.citations) {
        lines.push("[" + c.n + "] " + citationLabel(c) + " — " + new URL(c.url, location.href).href);
      }
    }
    return lines.join("\n");
  }

  async function copyAnswer(turn, button) {
    const text = answerAsText(turn);
    let ok = false;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch (_) {
      const area = el("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      try { ok = document.execCommand("copy"); } catch (_) { ok = false; }
      area.remove();
    }
    button.textContent = ok ? t("Copied") : t("Copy failed");
    setTimeout(() => { button.textContent = t("Copy answer"); }, 1800);
  }

  // ---- citation cards ---------------------------------------------------------------------
  function citationFor(marker) {
    const article = marker.closest(".turn");
    if (!article) return null;
    const index = Number(article.dataset.turn) - 1;
    const turn = turns[index];
    const n = Number(marker.dataset.n);
    if (turn && turn.citations) return turn.citations.find((c) => c.n === n) || null;
    const item = article.querySelector('.citation[data-n="' + n + '"]');
    if (!item) return null;
    return { element: item };
  }

  function showCard(marker) {
    hideCard();
    const citation = citationFor(marker);
    if (!citation) return;
    popover = el("div", "card-popover");
    popover.id = "citation-card";
    popover.setAttribute("role", "tooltip");
    if (citation.element) {
      popover.appendChild(citation.element.cloneNode(true));
    } else {
      popover.appendChild(el("p", "card-title", "[" + citation.n + "] " + citationLabel(citation)));
      popover.appendChild(passageNode(citation.text, citation.highlights));
    }
    document.body.appendChild(popover);
    marker.setAttribute("aria-describedby", "citation-card");
    const box = marker.getBoundingClientRect();
    const width = popover.offsetWidth;
    const left = Math.max(8, Math.min(window.scrollX + box.left, window.scrollX + document.documentElement.clientWidth - width - 8));
    popover.style.left = left + "px";
    popover.style.top = window.scrollY + box.bottom + 6 + "px";
  }

  function hideCard() {
    if (popover) {
      popover.remove();
      popover = null;
    }
    for (const m of thread.querySelectorAll("[aria-describedby='citation-card']")) {
      m.removeAttribute("aria-describedby");
    }
  }

  thread.addEventListener("mouseover", (event) => {
    const marker = event.target.closest && event.target.closest(".marker");
    if (marker) showCard(marker);
  });
  thread.addEventListener("mouseout", (event) => {
    if (event.target.closest && event.target.closest(".marker")) hideCard();
  });
  thread.addEventListener("focusin", (event) => {
    if (event.target.classList && event.target.classList.contains("marker")) showCard(event.target);
  });
  thread.addEventListener("focusout", hideCard);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") hideCard();
  });

  // ---- asking -----------------------------------------------------------------------------
  function setBusy(busy, message) {
    send.disabled = busy;
    input.setAttribute("aria-busy", String(busy));
    status.textContent = message || "";
    status.classList.toggle("loading", busy);
    status.classList.remove("error");
  }

  function showError(message) {
    status.textContent = message;
    status.classList.remove("loading");
    status.classList.add("error");
    status.setAttribute("role", "alert");
  }

  async function ask(question) {
    const history = turns.slice(-MAX_HISTORY).map((t) => ({ question: t.question, answer: t.answer }));
    setBusy(true, t("Searching…"));
    let response;
    try {
      response = await fetch("/ask", {
        method: "POST",
        headers: withCsrf({ "Content-Type": "application/json", Accept: "application/json" }),
        body: JSON.stringify(Object.assign(
          { question: question, history: history },
          chosenDocuments() ? { documents: chosenDocuments() } : {},
        )),
      });
    } catch (_) {
      setBusy(false);
      showError(t("The server cannot be reached. Check that briefing-qa is running, then try again."));
      return false;
    }
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      body = null;
    }
    setBusy(false);
    if (!response.ok || !body || typeof body.answer !== "string") {
      const message = body && body.error && body.error.message
        ? body.error.message
        : t("The server could not answer (HTTP %(status)s). Please try again.", { status: response.status });
      showError(message);
      return false;
    }
    turns.push(body);
    saveTurns();
    const node = renderTurn(body, turns.length);
    thread.appendChild(node);
    if (empty) empty.hidden = true;
    node.scrollIntoView({ block: "nearest" });
    return true;
  }

  async function submitQuestion(question) {
    const trimmed = question.trim();
    if (!trimmed) {
      showError(t("Type a question first."));
      input.focus();
      return;
    }
    if (await ask(trimmed)) {
      input.value = "";
    }
    input.focus();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitQuestion(input.value);
  });

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submitQuestion(input.value);
    }
  });

  if (empty) {
    empty.addEventListener("click", (event) => {
      const starter = event.target.closest && event.target.closest(".starter");
      if (!starter) return;
      event.preventDefault();
      submitQuestion(starter.value);
    });
  }

  if (newConversation) {
    newConversation.addEventListener("click", (event) => {
      event.preventDefault();
      turns = [];
      saveTurns();
      hideCard();
      renderAll();
      status.textContent = t("Started a new conversation.");
      input.value = "";
      input.focus();
    });
  }

  // ---- start ------------------------------------------------------------------------------
  // A page the server rendered after a form post already shows its turns; adopt them.
  const serverTurns = Number(thread.dataset.serverTurns || "0");
  const historyField = document.getElementById("history");
  if (serverTurns > 0 && historyField) {
    try {
      turns = JSON.parse(historyField.value);
      saveTurns();
    } catch (_) { /* keep what was stored */ }
  }
  renderAll();
})();

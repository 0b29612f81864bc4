/* Thai date boxes (templates/_thai_date.html): read a date as Thai offices write it,
   show it back in B.E. under the box, offer a small Thai calendar, and send ISO.
   The reading mirrors indexer/thai/dates.py (the server's rule, which also reads what a
   browser without this script sends): day first; years above 2400 are B.E., 1800-2200
   C.E.; two-digit years are B.E. 25yy from 50 up, C.E. 20yy below. */
(function () {
  "use strict";
  var boxes = document.querySelectorAll("[data-thai-date]");
  if (!boxes.length) return;
  var labelsNode = document.getElementById("thai-date-labels");
  var labels = labelsNode ? JSON.parse(labelsNode.textContent) : { lang: "th" };
  var LONG = ["มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม",
              "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม"];
  var SHORT = ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."];
  var EN = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
  var EN_LONG = ["January", "February", "March", "April", "May", "June", "July", "August",
                 "September", "October", "November", "December"];
  var DAYS = ["อา", "จ", "อ", "พ", "พฤ", "ศ", "ส"];

  function arabic(text) {
    return text.replace(/[๐-๙]/g, function (d) { return String(d.charCodeAt(0) - 0x0E50); });
  }
  function thaiDigits(text) {
    return String(text).replace(/[0-9]/g, function (d) { return String.fromCharCode(0x0E50 + Number(d)); });
  }
  function monthOf(word) {
    var w = word.toLowerCase().replace(/[\s.]/g, "");
    for (var i = 0; i < 12; i++) {
      if (w === LONG[i] || w === SHORT[i].replace(/\./g, "") || w === EN[i] || w === EN_LONG[i].toLowerCase()) return i + 1;
    }
    return 0;
  }
  function yearOf(text, era) {
    var y = Number(text);
    if (text.length === 2) return y >= 50 ? 2500 + y - 543 : 2000 + y;
    if (era && /ค/.test(era)) return y;
    if (y > 2400) return y - 543;
    return y >= 1800 && y <= 2200 ? y : 0;
  }
  function make(y, m, d) {
    if (!y || !m || !d) return null;
    var date = new Date(Date.UTC(y, m - 1, d));
    return date.getUTCMonth() === m - 1 && date.getUTCDate() === d ? date : null;
  }
  // -> a Date (UTC midnight) or null
  function parse(raw) {
    var text = arabic(raw).trim().replace(/^(ลง)?วันที่\s*/, "").replace(/\s*(B\.?E\.?)$/i, "");
    var m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text);
    if (m) return make(yearOf(m[1]), Number(m[2]), Number(m[3]));
    m = /^(\d{1,2})([\/.\-])(\d{1,2})\2(\d{4}|\d{2})$/.exec(text);
    if (m) return make(yearOf(m[4]), Number(m[3]), Number(m[1]));
    m = /^(\d{1,2})\s*([ก-๛a-zA-Z][ก-๛a-zA-Z.\s]*?)\s*,?\s*((?:พ|ค)\s*\.\s*ศ\s*\.?\s*)?(\d{4}|\d{2})$/.exec(text);
    if (m) return make(yearOf(m[4], m[3]), monthOf(m[2]), Number(m[1]));
    return null;
  }
  function iso(date) { return date.toISOString().slice(0, 10); }
  function shortThai(date) {
    return thaiDigits(date.getUTCDate() + " " + SHORT[date.getUTCMonth()] + " " + (date.getUTCFullYear() + 543));
  }
  function longText(date) {
    var d = date.getUTCDate(), m = date.getUTCMonth(), be = date.getUTCFullYear() + 543;
    if (labels.lang === "en") return d + " " + EN_LONG[m] + " " + be + " B.E. (" + iso(date) + ")";
    return thaiDigits(d + " " + LONG[m] + " พ.ศ. " + be);
  }

  Array.prototype.forEach.call(boxes, function (box) {
    var input = box.querySelector("input");
    var hint = box.querySelector(".thai-date-hint");
    var open = box.querySelector(".thai-date-open");
    var example = hint.textContent;
    // The form sends the ISO date from a hidden field; the box keeps what was typed.
    var sent = document.createElement("input");
    sent.type = "hidden";
    sent.name = input.name;
    input.removeAttribute("name");
    box.appendChild(sent);
    var calendar = null, shown = null;

    function update() {
      var date = parse(input.value);
      sent.value = date ? iso(date) : input.value.trim();
      box.setAttribute("data-valid", date ? "yes" : (input.value.trim() ? "no" : ""));
      hint.textContent = date ? longText(date) : (input.value.trim() ? labels.unreadable + " · " + example : example);
      return date;
    }
    input.addEventListener("input", update);
    update();

    function draw() {
      calendar.innerHTML = "";
      var head = document.createElement("div");
      head.className = "thai-cal-head";
      var prev = document.createElement("button"), next = document.createElement("button");
      prev.type = next.type = "button";
      prev.textContent = "‹"; next.textContent = "›";
      prev.setAttribute("aria-label", labels.previous || "‹");
      next.setAttribute("aria-label", labels.next || "›");
      prev.addEventListener("click", function () { shown = new Date(Date.UTC(shown.getUTCFullYear(), shown.getUTCMonth() - 1, 1)); draw(); });
      next.addEventListener("click", function () { shown = new Date(Date.UTC(shown.getUTCFullYear(), shown.getUTCMonth() + 1, 1)); draw(); });
      var title = document.createElement("strong");
      title.textContent = LONG[shown.getUTCMonth()] + " " + thaiDigits(shown.getUTCFullYear() + 543);
      head.appendChild(prev); head.appendChild(title); head.appendChild(next);
      calendar.appendChild(head);
      var grid = document.createElement("div");
      grid.className = "thai-cal-grid";
      DAYS.forEach(function (name) {
        var cell = document.createElement("span");
        cell.textContent = name;
        grid.appendChild(cell);
      });
      var first = new Date(Date.UTC(shown.getUTCFullYear(), shown.getUTCMonth(), 1));
      for (var blank = 0; blank < first.getUTCDay(); blank++) grid.appendChild(document.createElement("span"));
      var chosen = parse(input.value);
      for (var day = 1; make(shown.getUTCFullYear(), shown.getUTCMonth() + 1, day); day++) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = thaiDigits(day);
        var date = make(shown.getUTCFullYear(), shown.getUTCMonth() + 1, day);
        if (chosen && iso(chosen) === iso(date)) button.className = "chosen";
        button.setAttribute("data-date", iso(date));
        button.addEventListener("click", function (e) {
          input.value = shortThai(new Date(e.currentTarget.getAttribute("data-date") + "T00:00:00Z"));
          update();
          toggle(false);
          input.focus();
        });
        grid.appendChild(button);
      }
      calendar.appendChild(grid);
    }
    function toggle(show) {
      if (show && !calendar) {
        calendar = document.createElement("div");
        calendar.className = "thai-cal";
        box.appendChild(calendar);
      }
      if (calendar) calendar.hidden = !show;
      open.setAttribute("aria-expanded", show ? "true" : "false");
      if (show) {
        var date = parse(input.value) || new Date();
        shown = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1));
        draw();
      }
    }
    open.hidden = false;
    open.addEventListener("click", function () { toggle(!calendar || calendar.hidden); });
    box.addEventListener("keydown", function (e) { if (e.key === "Escape") toggle(false); });
  });
})();

/* Upload page. Every chosen file is listed (and can be taken out) before sending; while
   the request is sent each file shows its own share of the bytes sent; then each file's
   result appears as the job processes it (polling the job status API), with the members
   of a ZIP under it. Without this script the form still posts, and the job page refreshes
   itself. */
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  var drop = document.getElementById("drop");
  var input = document.getElementById("files");
  var chosen = document.getElementById("chosen");
  var labels = JSON.parse(document.getElementById("labels").textContent);
  var files = [];

  function fmtSize(n) {
    if (n < 1024) return n + " B";
    if (n < 1048576) return (n / 1024).toFixed(1) + " KB";
    if (n < 1073741824) return (n / 1048576).toFixed(1) + " MB";
    return (n / 1073741824).toFixed(2) + " GB";
  }
  function el(tag, className, value) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (value !== undefined) node.textContent = value;
    return node;
  }
  // The server keeps names in NFC (clean_upload_name); compare them the same way.
  function nameOf(file) { return (file.name || "").normalize ? file.name.normalize("NFC") : file.name; }

  function showChosen() {
    chosen.innerHTML = "";
    files.forEach(function (f, index) {
      var li = el("li", "chosen-file");
      li.appendChild(el("span", "filename", nameOf(f)));
      li.appendChild(el("span", "muted small", " · " + fmtSize(f.size) + " "));
      var remove = el("button", "link-button remove", labels.remove);
      remove.type = "button";
      remove.setAttribute("aria-label", labels.remove + " " + nameOf(f));
      remove.addEventListener("click", function () { files.splice(index, 1); showChosen(); });
      li.appendChild(remove);
      chosen.appendChild(li);
    });
  }
  function add(list) {
    for (var i = 0; i < list.length; i++) files.push(list[i]);
    showChosen();
  }
  input.addEventListener("change", function () { add(input.files); input.value = ""; });
  ["dragenter", "dragover"].forEach(function (name) {
    drop.addEventListener(name, function (e) { e.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    drop.addEventListener(name, function (e) { e.preventDefault(); drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (e) { if (e.dataTransfer) add(e.dataTransfer.files); });

  // project -> activity -> item: narrow the lists, keep the server's check as the rule.
  // An activity option belongs to one project (two projects may share an activity name).
  var project = document.getElementById("pick-project");
  var activity = document.getElementById("pick-activity");
  var item = document.getElementById("item_code");
  function narrow() {
    var p = project.value;
    Array.prototype.forEach.call(activity.options, function (o) {
      if (o.value) o.hidden = !!p && o.getAttribute("data-project") !== p;
    });
    var picked = activity.selectedOptions[0];
    if (picked && picked.hidden) activity.value = "";
    var a = activity.value;
    Array.prototype.forEach.call(item.options, function (o) {
      if (!o.value) return;
      o.hidden = (!!p && o.getAttribute("data-project") !== p) ||
                 (!!a && o.getAttribute("data-activity") !== a);
    });
    if (item.selectedOptions[0] && item.selectedOptions[0].hidden) item.value = "";
  }
  project.addEventListener("change", narrow);
  activity.addEventListener("change", function () {
    // choosing an activity with no project chosen picks the project it belongs to
    var picked = activity.selectedOptions[0];
    if (picked && picked.value && !project.value) project.value = picked.getAttribute("data-project");
    narrow();
  });

  var panel = document.getElementById("progress");
  var phase = document.getElementById("phase");
  var bar = document.getElementById("bar");
  var counts = document.getElementById("counts");
  var tbody = document.querySelector("#results tbody");
  var send = document.getElementById("send");
  var rows = [];  // one per file sent: {name, size, tr, nameCell, state, reason, bar}

  function setRow(row, status, text, reason, documentId) {
    row.tr.className = "file-row st-" + status;
    row.tr.setAttribute("data-state", status);
    row.state.textContent = text;
    row.reason.textContent = reason || "";
    if (documentId && !row.link) {
      row.link = el("a", "", row.name);
      row.link.href = "/documents/" + documentId;
      row.nameCell.textContent = "";
      row.nameCell.appendChild(row.link);
    }
  }
  function makeRow(name, size, member, after) {
    var tr = el("tr");
    var nameCell = el("td", member ? "member" : "", name);
    var state = el("span");
    var stateCell = el("td");
    stateCell.appendChild(state);
    var row = { name: name, size: size, tr: tr, nameCell: nameCell, state: state, reason: el("td") };
    if (member) {
      tr.setAttribute("data-member", "");
    } else {
      row.bar = el("progress", "file-bar");
      row.bar.max = 100; row.bar.value = 0;
      stateCell.appendChild(row.bar);
    }
    tr.appendChild(nameCell); tr.appendChild(stateCell); tr.appendChild(row.reason);
    tbody.insertBefore(tr, after ? after.nextSibling : null);
    return row;
  }

  // Bytes sent so far -> each file's share, in the order the files are in the request.
  function showSending(loaded, total) {
    var payload = rows.reduce(function (sum, r) { return sum + r.size; }, 0);
    var sent = total ? loaded / total * payload : 0;
    rows.forEach(function (row) {
      var mine = Math.max(0, Math.min(row.size, sent));
      sent -= row.size;
      var percent = row.size ? Math.round(100 * mine / row.size) : (sent >= 0 ? 100 : 0);
      row.bar.value = percent;
      if (percent >= 100) setRow(row, "sent", labels.sent);
      else if (percent > 0) setRow(row, "sending", labels.uploading + " " + percent + "%");
    });
    bar.value = total ? Math.round(100 * loaded / total) : 0;
    counts.textContent = fmtSize(loaded) + " / " + fmtSize(total);
  }

  // The job lists files in the order it took them: each file sent, then the members of a
  // bundle right after it (their paths are inside the bundle), shown under the bundle.
  function showJob(job) {
    bar.max = Math.max(job.total, 1);
    bar.value = job.done;
    counts.textContent = job.done + " / " + job.total + " — " + Object.keys(job.counts).map(function (k) {
      return (labels[k] || k) + " " + job.counts[k];
    }).join(", ") + (job.current || []).map(function (c) {
      return " — " + c.path + ": " + c.message;
    }).join("");
    Array.prototype.forEach.call(tbody.querySelectorAll("tr[data-member]"), function (tr) { tr.remove(); });
    var next = 0, anchor = null;
    job.files.forEach(function (f) {
      var row;
      if (next < rows.length && f.path === rows[next].name) {
        row = rows[next++];
        row.bar.hidden = true;
      } else {
        row = makeRow(f.path, 0, true, anchor);
      }
      anchor = row.tr;
      var reasons = [f.error].concat(f.warnings || []).filter(Boolean).join(" ");
      setRow(row, f.status, labels[f.status] || f.status, reasons, f.document_id);
    });
  }

  function poll(url, delay) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      if (xhr.status !== 200) { phase.textContent = labels.failed; send.disabled = false; return; }
      var job = JSON.parse(xhr.responseText);
      showJob(job);
      if (job.status === "running") {
        setTimeout(function () { poll(url, Math.min(delay * 1.3, 3000)); }, delay);
      } else {
        phase.textContent = job.status === "failed" ? labels.failed : labels.done;
        panel.setAttribute("data-status", job.status);
        send.disabled = false;
        files = [];
        showChosen();
      }
    };
    xhr.onerror = function () { setTimeout(function () { poll(url, 3000); }, 3000); };
    xhr.send();
  }

  function errorMessage(body, status) {
    var problem = body && body.error;
    if (!problem) return "HTTP " + status;
    return (labels.lang === "en" && problem.message_en) || problem.message;
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!files.length) { input.click(); return; }
    var data = new FormData();
    files.forEach(function (f) { data.append("files", f, f.name); });
    data.append("item_code", item.value);
    panel.hidden = false;
    panel.removeAttribute("data-status");
    tbody.innerHTML = "";
    rows = files.map(function (f) {
      var row = makeRow(nameOf(f), f.size, false);
      setRow(row, "waiting", labels.waiting);
      return row;
    });
    send.disabled = true;
    phase.textContent = labels.uploading;
    bar.max = 100; bar.value = 0;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("data-api"));
    xhr.setRequestHeader("X-CSRF-Token", form.getAttribute("data-csrf"));
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = function (ev) { if (ev.lengthComputable) showSending(ev.loaded, ev.total); };
    xhr.onload = function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = {}; }
      if (xhr.status !== 202) {
        phase.textContent = labels.failed;
        counts.textContent = errorMessage(body, xhr.status);
        rows.forEach(function (row) { setRow(row, "rejected", labels.failed, counts.textContent); });
        send.disabled = false;
        return;
      }
      rows.forEach(function (row) { row.bar.value = 100; setRow(row, "queued", labels.processing); });
      phase.textContent = labels.processing;
      poll(form.getAttribute("data-jobs") + body.job_id, 300);
    };
    xhr.onerror = function () { phase.textContent = labels.failed; send.disabled = false; };
    xhr.send(data);
  });
})();

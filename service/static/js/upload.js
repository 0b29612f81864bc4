/* Upload page: drag and drop, per-request upload progress, then live per-file progress by
   polling the job status API. Without this script the form still posts and the job page
   refreshes itself. */
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
  function text(el, value) { el.textContent = value; return el; }
  function showChosen() {
    chosen.innerHTML = "";
    files.forEach(function (f) {
      chosen.appendChild(text(document.createElement("li"), f.name + " · " + fmtSize(f.size)));
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

  // project -> activity -> item: narrow the lists, keep the server's check as the rule
  var project = document.getElementById("pick-project");
  var activity = document.getElementById("pick-activity");
  var item = document.getElementById("item_code");
  function narrow() {
    var p = project.value, a = activity.value;
    Array.prototype.forEach.call(activity.options, function (o) {
      if (o.value) o.hidden = !!p && o.getAttribute("data-project") !== p;
    });
    if (activity.selectedOptions[0] && activity.selectedOptions[0].hidden) activity.value = "";
    a = activity.value;
    Array.prototype.forEach.call(item.options, function (o) {
      if (!o.value) return;
      o.hidden = (!!p && o.getAttribute("data-project") !== p) ||
                 (!!a && o.getAttribute("data-activity") !== a);
    });
    if (item.selectedOptions[0] && item.selectedOptions[0].hidden) item.value = "";
  }
  project.addEventListener("change", narrow);
  activity.addEventListener("change", narrow);

  var panel = document.getElementById("progress");
  var phase = document.getElementById("phase");
  var bar = document.getElementById("bar");
  var counts = document.getElementById("counts");
  var tbody = document.querySelector("#results tbody");
  var send = document.getElementById("send");

  function render(job) {
    bar.max = Math.max(job.total, 1);
    bar.value = job.done;
    text(counts, job.done + " / " + job.total + " — " + Object.keys(job.counts).map(function (k) {
      return (labels[k] || k) + " " + job.counts[k];
    }).join(", "));
    tbody.innerHTML = "";
    job.files.forEach(function (f) {
      var tr = document.createElement("tr");
      tr.className = "st-" + f.status;
      var name = document.createElement("td");
      if (f.document_id) {
        var a = document.createElement("a");
        a.href = "/documents/" + f.document_id;
        text(a, f.path);
        name.appendChild(a);
      } else {
        text(name, f.path);
      }
      tr.appendChild(name);
      tr.appendChild(text(document.createElement("td"), labels[f.status] || f.status));
      tr.appendChild(text(document.createElement("td"), f.error || ""));
      tbody.appendChild(tr);
    });
  }

  function poll(url, delay) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      if (xhr.status !== 200) { text(phase, labels.failed); send.disabled = false; return; }
      var job = JSON.parse(xhr.responseText);
      render(job);
      if (job.status === "running") {
        setTimeout(function () { poll(url, Math.min(delay * 1.3, 3000)); }, delay);
      } else {
        text(phase, job.status === "failed" ? labels.failed : labels.done);
        panel.setAttribute("data-status", job.status);
        send.disabled = false;
        files = [];
        showChosen();
      }
    };
    xhr.onerror = function () { setTimeout(function () { poll(url, 3000); }, 3000); };
    xhr.send();
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!files.length) { input.click(); return; }
    var data = new FormData();
    files.forEach(function (f) { data.append("files", f, f.name); });
    data.append("item_code", item.value);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("data-api"));
    xhr.setRequestHeader("X-CSRF-Token", form.getAttribute("data-csrf"));
    xhr.setRequestHeader("Accept", "application/json");
    panel.hidden = false;
    panel.removeAttribute("data-status");
    tbody.innerHTML = "";
    send.disabled = true;
    text(phase, labels.uploading);
    bar.max = 100; bar.value = 0;
    xhr.upload.onprogress = function (ev) {
      if (ev.lengthComputable) {
        bar.value = Math.round(100 * ev.loaded / ev.total);
        text(counts, fmtSize(ev.loaded) + " / " + fmtSize(ev.total));
      }
    };
    xhr.onload = function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = {}; }
      if (xhr.status !== 202) {
        text(phase, labels.failed);
        text(counts, (body.error && body.error.message) || ("HTTP " + xhr.status));
        send.disabled = false;
        return;
      }
      text(phase, labels.processing);
      poll(form.getAttribute("data-jobs") + body.job_id, 500);
    };
    xhr.onerror = function () { text(phase, labels.failed); send.disabled = false; };
    xhr.send(data);
  });
})();

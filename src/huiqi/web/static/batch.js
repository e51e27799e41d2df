/* 批量测算: upload with fetch (to show errors in place), then poll the job and move the progress bar. */
(function () {
  "use strict";
  var form = document.getElementById("batch-form");
  if (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var box = document.getElementById("form-errors");
      box.hidden = true;
      box.textContent = "";
      var button = document.getElementById("batch-submit");
      button.disabled = true;
      button.textContent = "上传中…";
      fetch("/api/batch", { method: "POST", body: new FormData(form) })
        .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
        .then(function (res) {
          if (res.ok) { window.location.href = res.data.url; return; }
          var error = res.data.error || { message: "上传失败" };
          var p = document.createElement("p");
          p.textContent = error.message;
          box.appendChild(p);
          (error.fields || []).forEach(function (f) {
            var li = document.createElement("p");
            li.textContent = f.field + "：" + f.message;
            box.appendChild(li);
          });
          box.hidden = false;
        })
        .catch(function () { box.textContent = "无法连接服务器，请稍后重试"; box.hidden = false; })
        .finally(function () { button.disabled = false; button.textContent = "上传并测算"; });
    });
  }
  var job = document.getElementById("job");
  if (job && (job.dataset.status === "queued" || job.dataset.status === "running")) {
    var poll = function () {
      fetch("/api/batch/" + job.dataset.job).then(function (r) { return r.json(); }).then(function (j) {
        document.getElementById("job-stage").textContent = j.stage;
        var pct = Math.round(j.progress * 1000) / 10;
        document.getElementById("job-bar").style.width = pct + "%";
        job.querySelector(".progress").setAttribute("aria-valuenow", String(Math.round(pct)));
        if (j.status === "done" || j.status === "failed") window.location.reload();
        else setTimeout(poll, 400);
      }).catch(function () { setTimeout(poll, 2000); });
    };
    setTimeout(poll, 300);
  }
})();

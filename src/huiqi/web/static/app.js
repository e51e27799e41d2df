/* Small helpers shared by every page: copy-to-clipboard buttons. */
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    var button = ev.target.closest("[data-copy]");
    if (!button) return;
    var input = document.querySelector(button.getAttribute("data-copy"));
    input.select();
    var done = function () { button.textContent = "已复制"; setTimeout(function () { button.textContent = "复制链接"; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(input.value).then(done, done);
    else { document.execCommand("copy"); done(); }
  });
})();

// While a regional package compiles, its page asks the server again every few seconds
// and updates the status in place (the status region is aria-live, so the change is
// announced); once the package is ready or failed, the page's main content is replaced
// with the finished page. Without JavaScript the "Check again" link does the same.
(function () {
  "use strict";
  const status = document.getElementById("package-status");
  if (!status || !status.dataset.refreshSeconds) return;
  const delay = Math.max(1, Number(status.dataset.refreshSeconds)) * 1000;

  function check() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
      .then((html) => {
        const fresh = new DOMParser().parseFromString(html, "text/html");
        const freshStatus = fresh.getElementById("package-status");
        if (freshStatus && freshStatus.dataset.refreshSeconds) {
          status.innerHTML = freshStatus.innerHTML;
          window.setTimeout(check, delay);
          return;
        }
        const main = document.getElementById("main");
        const freshMain = fresh.getElementById("main");
        if (main && freshMain) main.innerHTML = freshMain.innerHTML;
      })
      .catch(() => window.setTimeout(check, delay * 2));
  }

  window.setTimeout(check, delay);
})();

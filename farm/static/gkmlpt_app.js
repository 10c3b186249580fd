/* gkmlpt directory app (shell at /gkmlpt/index): the list exists only in the JSON API. */
(function () {
  var box = document.getElementById("gkmlpt-list");
  var classify = (location.hash || "").replace("#", "") || box.getAttribute("data-classify");
  var sid = box.getAttribute("data-sid");
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function day(ts) { var d = new Date(ts * 1000); return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()); }
  var ul = document.createElement("ul");
  ul.className = "gkmlpt-articles";
  box.appendChild(ul);
  function load(page) {
    fetch("/gkmlpt/api/all/" + classify + "?page=" + page + "&sid=" + sid).then(function (r) { return r.json(); })
      .then(function (j) {
        var arts = j.articles || [];
        arts.forEach(function (a) {
          var li = document.createElement("li");
          var link = document.createElement("a");
          link.href = a.url; link.title = a.title; link.textContent = a.title; link.target = "_blank";
          var s = document.createElement("span"); s.textContent = day(a.create_time);
          li.appendChild(link); li.appendChild(s); ul.appendChild(li);
        });
        if (arts.length && j.offset + arts.length < j.total) load(page + 1); else box.setAttribute("data-done", "1");
      });
  }
  load(1);
})();

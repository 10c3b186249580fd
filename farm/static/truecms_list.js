/* Hanweb truecms column list: ask getMessage.do (JSONP text, a BOM and blank lines before the
   callback) window by window and render the <datastore> records it wraps into #list<columnId>. */
(function () {
  var c = window.pageConfig || {};
  var box = document.getElementById("list" + c.columnId);
  if (!box) return;
  var ul = document.createElement("ul");
  ul.className = "list";
  box.appendChild(ul);
  var per = c.perPage || 15;
  function load(start) {
    var url = c.proxyUrl + "?columnId=" + c.columnId + "&startrecord=" + start + "&endrecord=" + (start + per - 1) +
      "&perpage=" + per + "&callback=" + (c.callback || "cb");
    fetch(url, {credentials: "same-origin"}).then(function (r) { return r.text(); }).then(function (t) {
      var m = t.match(/\(([\s\S]*)\)\s*;?\s*$/);
      var xml = m ? (JSON.parse(m[1]).result || "") : "";
      var recs = xml.match(/<!\[CDATA\[[\s\S]*?\]\]>/g) || [];
      var n = 0;
      recs.forEach(function (r) {
        var html = r.slice(9, -3).trim();
        if (/^<li[\s>]/.test(html)) { ul.insertAdjacentHTML("beforeend", html); n++; }
      });
      if (n >= per) load(start + per); else box.setAttribute("data-done", "1");
    });
  }
  load(1);
})();

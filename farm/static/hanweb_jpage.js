/* Minimal stand-in for jQuery + the Hanweb jpage plugin: renders the inline <datastore> records
   of a column page, then fetches the remaining records from the dataproxy (window or page mode). */
(function () {
  window.dataStore = window.dataStore || null;
  function parseRecords(xmlText) {
    var doc = new DOMParser().parseFromString(xmlText, "text/xml");
    var out = [], recs = doc.getElementsByTagName("record");
    for (var i = 0; i < recs.length; i++) out.push(recs[i].textContent);
    return out;
  }
  function render(ul, records) {
    for (var i = 0; i < records.length; i++) {
      var html = records[i].trim();
      if (!/^<li[\s>]/.test(html) || html.indexOf("</li>") < 0) continue;   // template debris
      ul.insertAdjacentHTML("beforeend", html);
    }
  }
  function jpage(el, o) {
    var xml = el.querySelector('script[type="text/xml"]');
    var inline = xml ? parseRecords(xml.textContent) : [];
    var ul = document.createElement("ul");
    ul.className = "jpage-list";
    el.appendChild(ul);
    render(ul, inline);
    var have = inline.filter(function (r) { return r.indexOf("</li>") >= 0; }).length;
    var total = o.totalRecord || 0, per = o.perPage || 15, group = per * (o.groupSize || 3);
    var params = o.ajaxParam || {};
    function form(extra) {
      var p = [];
      for (var k in params) p.push(encodeURIComponent(k) + "=" + encodeURIComponent(params[k]));
      return p.join("&");
    }
    function next(start, page) {
      if (start > total) { el.setAttribute("data-jpage-done", "1"); return; }
      var req;
      if (o.pageMode === "page") {
        req = fetch(o.proxyUrl + "?page=" + page + "&perpage=" + group + "&" + form(), {credentials: "same-origin"});
      } else {
        var end = Math.min(start + group - 1, total);
        req = fetch(o.proxyUrl + "?startrecord=" + start + "&endrecord=" + end + "&perpage=" + per, {
          method: "POST", credentials: "same-origin",
          headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: form()});
      }
      req.then(function (r) { return r.text(); }).then(function (t) {
        var recs = parseRecords(t);
        if (!recs.length) { el.setAttribute("data-jpage-done", "1"); return; }
        render(ul, recs);
        next(start + recs.length, page + 1);
      });
    }
    if (have < total) next(have + 1, 2); else el.setAttribute("data-jpage-done", "1");
  }
  function $(sel) {
    if (typeof sel === "function") { document.addEventListener("DOMContentLoaded", sel); return; }
    // Hanweb unit ids are numeric ("#4851098"), which querySelectorAll rejects: look ids up directly
    var els = sel === document ? [document] : /^#[^\s.#]+$/.test(sel)
      ? [document.getElementById(sel.slice(1))].filter(Boolean)
      : Array.prototype.slice.call(document.querySelectorAll(sel));
    return {
      ready: function (fn) {
        if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
      },
      jpage: function (o) { els.forEach(function (el) { jpage(el, o || {}); }); }
    };
  }
  if (!window.$) window.$ = window.jQuery = $;
})();

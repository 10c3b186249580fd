/* Hanweb jpaas "page build unit" loader: reads url/queryData from its own <script> tag, asks the
   build/unit API page by page (paging only inside paramJson) and inserts data.html into the page. */
(function () {
  var me = document.currentScript || document.querySelector("script[queryData]");
  var api = me.getAttribute("url");
  var q = JSON.parse(me.getAttribute("queryData").replace(/'/g, '"'));
  var box = document.createElement("div");
  box.className = "jpaas-unit";
  me.parentNode.insertBefore(box, me);
  function load(pageNo) {
    var url = api + "?parseType=bulidstatic&webId=" + q.webId + "&tplSetId=" + q.tplSetId +
      "&pageType=" + q.pageType + "&tagId=" + encodeURIComponent(q.tagId) + "&editType=" + q.editType +
      "&pageId=" + q.pageId + "&paramJson=" + encodeURIComponent(JSON.stringify({pageNo: pageNo, pageSize: 15}));
    fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (j) {
      var html = j && j.success && j.data ? j.data.html : "";
      if (!html || html.indexOf("<li") < 0) { box.setAttribute("data-done", "1"); return; }
      box.insertAdjacentHTML("beforeend", html);
      load(pageNo + 1);
    });
  }
  load(1);
})();

/* Epoint EWB 政府信息公开 list: POST {"params": "<json string>"} to rest/lightfrontaction/getgovinfolist
   (pageIndex 0-based) and render ONE page at a time, with a javascript:; pager whose controls carry
   data-page-index (1-based). */
(function () {
  var box = document.getElementById("govinfo-list"), pager = document.getElementById("govinfo-pager");
  var cat = box.getAttribute("data-categorynum"), size = 10;
  function post(index) {
    var params = {siteGuid: siteInfo.siteGuid, categorynum: cat, deptcode: "", pageIndex: index, pageSize: size};
    return fetch(siteInfo.projectName + "/rest/lightfrontaction/getgovinfolist", {
      method: "POST", headers: {"Content-Type": "application/json;charset=UTF-8"},
      body: JSON.stringify({params: JSON.stringify(params)})
    }).then(function (r) { return r.json(); });
  }
  function control(label, n, cls) {
    return '<a href="javascript:;" class="' + (cls || "") + '" data-page-index="' + n + '">' + label + "</a>";
  }
  function render(index) {
    post(index).then(function (j) {
      var c = j.custom || {}, data = c.data || [], total = c.total || 0;
      var pages = Math.max(1, Math.ceil(total / size)), cur = index + 1;
      var html = '<ul class="ewb-info-items">';
      data.forEach(function (it) {
        html += '<li class="ewb-info-item"><a href="' + it.infourl + '" title="' + it.realtitle + '" target="_blank">' +
          it.title + '</a><span class="ewb-info-date">' + it.infodate + "</span></li>";
      });
      box.innerHTML = html + "</ul>";
      var p = '<span class="m-pagination-info">共' + total + "条 第" + cur + "/" + pages + "页</span>";
      p += control("首页", 1, cur === 1 ? "disabled" : "") + control("上一页", Math.max(1, cur - 1), cur === 1 ? "disabled" : "prev");
      var lo = Math.max(1, cur - 2), hi = Math.min(pages, lo + 4);
      for (var k = lo; k <= hi; k++) p += control(String(k), k, k === cur ? "active" : "");
      p += control("下一页", Math.min(pages, cur + 1), cur === pages ? "disabled" : "next");
      p += control("尾页", pages, cur === pages ? "disabled" : "");
      pager.innerHTML = p;
      box.setAttribute("data-page", String(cur));
    });
  }
  pager.addEventListener("click", function (ev) {
    var a = ev.target.closest("a[data-page-index]");
    if (!a) return;
    ev.preventDefault();
    if (a.classList.contains("disabled") || a.classList.contains("active")) return;
    render(parseInt(a.getAttribute("data-page-index"), 10) - 1);
  });
  render(0);
})();

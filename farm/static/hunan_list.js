/* Hunan xxt list: POST the cross-origin search API (Origin/Referer = this site) and render results. */
(function () {
  var ul = document.querySelector("div.hy-list-text ul");
  var api = location.protocol + "//api.hn-mock.gov.cn.test" + (location.port ? ":" + location.port : "") +
    "/search/common/search/" + String(window.channelId).trim();
  function form(page) {
    var f = {"datas[0][key]": "status", "datas[0][value]": "4", "datas[0][join]": "and", "datas[0][queryType]": "term",
      "datas[1][key]": "publishedTime", "datas[1][sort]": "true", "datas[1][order]": "desc",
      "datas[1][queryType]": "term", "page": String(page), "_pageSize": "20", "_isAgg": "true"};
    return Object.keys(f).map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(f[k]); }).join("&");
  }
  function load(page) {
    fetch(api, {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: form(page)})
      .then(function (r) { return r.json(); }).then(function (j) {
        var res = (j.data && j.data.results) || [];
        res.forEach(function (it) {
          var li = document.createElement("li"), a = document.createElement("a"), s = document.createElement("small");
          a.href = it.url; a.title = it.title; a.textContent = it.title; s.textContent = it.publishedTimeStr.slice(0, 10);
          a.appendChild(s); li.appendChild(a); ul.appendChild(li);
        });
        if (res.length) load(page + 1); else ul.setAttribute("data-done", "1");
      });
  }
  load(1);
})();

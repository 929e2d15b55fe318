// At phone width a table's rows stack into cards and its header row is
// hidden; each cell then shows its column's name (data-label), so nobody has
// to guess what "3" or "Tue 4 Mar" means. Cells that set data-label keep it.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("table").forEach(function (table) {
    var head = table.querySelector("thead tr");
    if (!head) return;
    var names = Array.prototype.map.call(head.children, function (th) { return th.textContent.trim(); });
    table.querySelectorAll("tbody tr").forEach(function (tr) {
      Array.prototype.forEach.call(tr.children, function (cell, i) {
        if (!cell.hasAttribute("data-label") && names[i]) cell.setAttribute("data-label", names[i]);
      });
    });
  });
});

// The model-zoo page's behaviour: filters, sorting by any column, copy buttons, and the compare view.
// The table is complete without this script; it only hides, reorders and adds controls.
"use strict";
(() => {
  document.documentElement.classList.add("js");
  const table = document.getElementById("zoo");
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);  // the page's own order, for "show all" and stable ties
  const headers = Array.from(table.tHead.rows[0].cells);
  const form = document.getElementById("filters");
  const selects = Array.from(form.querySelectorAll("select"));
  const shown = document.getElementById("shown");
  form.hidden = false;

  function filter() {
    let count = 0;
    for (const row of rows) {
      row.hidden = !selects.every((select) => !select.value || row.dataset[select.name] === select.value);
      count += row.hidden ? 0 : 1;
    }
    shown.value = `${count} of ${rows.length} shown`;
  }
  selects.forEach((select) => select.addEventListener("change", filter));
  form.addEventListener("reset", () => setTimeout(filter));

  // Sorting: numbers best first, text A-Z; a second click reverses; empty cells always last.
  function sortKey(row, index, numeric) {
    const value = row.cells[index].dataset.value;
    if (numeric) return value === undefined ? null : Number(value);
    return row.cells[index].textContent.trim().toLowerCase();
  }
  function sortBy(header) {
    const index = headers.indexOf(header);
    const numeric = header.dataset.sort === "number";
    const first = numeric ? "descending" : "ascending";
    const order = header.getAttribute("aria-sort") === first ? (numeric ? "ascending" : "descending") : first;
    headers.forEach((other) => other.removeAttribute("aria-sort"));
    header.setAttribute("aria-sort", order);
    const sign = order === "ascending" ? 1 : -1;
    const keyed = rows.map((row, position) => ({ row, position, key: sortKey(row, index, numeric) }));
    keyed.sort((a, b) => {
      if (a.key === null || b.key === null) return (a.key === null) - (b.key === null) || a.position - b.position;
      return sign * (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) || a.position - b.position;
    });
    body.append(...keyed.map((item) => item.row));
  }
  for (const header of headers.filter((cell) => cell.dataset.sort)) {
    const button = document.createElement("button");
    button.type = "button";
    button.append(...header.childNodes);
    header.append(button);
    button.addEventListener("click", () => sortBy(header));
  }

  // Copy buttons beside each command.
  async function copy(text, button) {
    let done = false;
    try {
      await navigator.clipboard.writeText(text);
      done = true;
    } catch {
      const area = Object.assign(document.createElement("textarea"), { value: text });
      document.body.append(area);
      area.select();
      done = document.execCommand("copy");
      area.remove();
    }
    button.textContent = done ? "copied" : "select it and copy";
    setTimeout(() => { button.textContent = "copy"; }, 2000);
  }
  for (const code of table.querySelectorAll("code.command")) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "copy";
    button.setAttribute("aria-label", `copy: ${code.textContent}`);
    button.addEventListener("click", () => copy(code.textContent, button));
    code.after(button);
  }

  // Compare: the ticked rows as columns, a row per heading; the best number of each benchmark in bold.
  const section = document.getElementById("compare");
  const view = document.getElementById("compare-view");
  const compareButton = document.getElementById("compare-button");
  const boxes = rows.map((row) => row.querySelector("input[type=checkbox]"));
  function compare() {
    const picked = Array.from(body.rows).filter((row) => row.querySelector("input[type=checkbox]").checked);  // as now sorted
    rows.forEach((row, i) => row.classList.toggle("ticked", boxes[i].checked));
    compareButton.disabled = picked.length === 0;
    compareButton.textContent = `compare the ticked rows (${picked.length})`;
    section.hidden = picked.length === 0;
    const grid = document.createElement("table");
    const head = grid.createTHead().insertRow();
    head.append(document.createElement("td"));
    for (const row of picked) {
      const name = document.createElement("th");
      name.scope = "col";
      name.append(row.cells[1].firstElementChild.cloneNode(true));
      head.append(name);
    }
    const lines = grid.createTBody();
    headers.forEach((header, index) => {
      if (index < 2 || index === headers.length - 1) return;  // the tick, the name, the commands
      const line = lines.insertRow();
      const label = document.createElement("th");
      label.scope = "row";
      label.textContent = header.textContent;
      line.append(label);
      const cells = picked.map((row) => {
        const cell = line.insertCell();
        cell.innerHTML = row.cells[index].innerHTML;
        cell.className = row.cells[index].className;
        return { cell, key: sortKey(row, index, true) };
      });
      if (header.dataset.key) {
        const best = Math.max(...cells.map((c) => (c.key === null ? -Infinity : c.key)));
        cells.forEach((c) => c.cell.classList.toggle("best", c.key === best && picked.length > 1));
      }
    });
    view.replaceChildren(grid);
  }
  boxes.forEach((box) => box.addEventListener("change", compare));
  compareButton.addEventListener("click", () => section.scrollIntoView());
  document.getElementById("compare-clear").addEventListener("click", () => {
    boxes.forEach((box) => { box.checked = false; });
    compare();
  });
  filter();
  compare();
})();

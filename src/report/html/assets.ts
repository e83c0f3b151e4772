// The HTML report's only style sheet and script. Both are constants, so the page's Content-Security-Policy
// can allow exactly them by hash and nothing else: no other script, style, font or request.

export const STYLE = `
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #ffffff; --panel: #f6f8fa;
  --critical: #8b0f1a; --high: #cf222e; --medium: #bc4c00; --low: #0969da; --info: #6e7781;
  --allow: #1a7f37; --deny: #cf222e; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 20px; }
h1 { font-size: 22px; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 18px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 16px 0 6px; }
code, pre, .mono { font-family: "DejaVu Sans Mono", ui-monospace, Menlo, Consolas, monospace; font-size: 12.5px; }
code { overflow-wrap: anywhere; }
pre { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px; overflow-x: auto; white-space: pre; }
.meta { color: var(--muted); margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.zero { color: var(--muted); }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 14px 0; }
.card { border: 1px solid var(--line); border-left-width: 6px; border-radius: 6px; padding: 8px 14px; min-width: 110px; }
.card .count { font-size: 24px; font-weight: 700; display: block; }
.card.sev-critical { border-left-color: var(--critical); } .card.sev-high { border-left-color: var(--high); }
.card.sev-medium { border-left-color: var(--medium); } .card.sev-low { border-left-color: var(--low); }
.card.sev-info { border-left-color: var(--info); } .card.neutral { border-left-color: var(--line); }
.badge { display: inline-block; min-width: 64px; text-align: center; border-radius: 10px; padding: 0 8px; font-size: 12px; font-weight: 600; color: #fff; background: var(--info); }
.badge.sev-critical { background: var(--critical); } .badge.sev-high { background: var(--high); }
.badge.sev-medium { background: var(--medium); } .badge.sev-low { background: var(--low); }
.badge.fix { background: var(--allow); } .badge.suggestion { background: var(--medium); }
.badge.plain { background: var(--panel); color: var(--fg); border: 1px solid var(--line); }
.notice { border: 1px solid var(--medium); background: #fff8c5; border-radius: 6px; padding: 8px 12px; margin: 10px 0; }
details.finding { border: 1px solid var(--line); border-radius: 6px; margin: 8px 0; background: var(--bg); }
details.finding > summary { cursor: pointer; padding: 8px 12px; display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; list-style-position: inside; }
details.finding > summary .title { font-weight: 600; flex: 1 1 420px; overflow-wrap: anywhere; }
details.finding > summary .check { color: var(--muted); }
details.finding[open] > summary { border-bottom: 1px solid var(--line); background: var(--panel); }
.finding-body { padding: 4px 16px 14px; }
.finding-body dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 10px 0; }
.finding-body dt { font-weight: 600; }
.finding-body dd { margin: 0; overflow-wrap: anywhere; }
.finding-body ul { margin: 4px 0; padding-left: 20px; }
.finding-body li { overflow-wrap: anywhere; }
.source { color: var(--muted); }
.picture { overflow-x: auto; margin: 6px 0 12px; }
.picture figcaption { color: var(--muted); font-size: 12.5px; overflow-wrap: anywhere; }
svg text { font-family: "DejaVu Sans Mono", ui-monospace, Menlo, Consolas, monospace; fill: var(--fg); }
svg .node rect { fill: var(--panel); stroke: var(--info); stroke-width: 1.5; }
svg .node .node-kind { font-size: 11px; font-weight: 700; fill: var(--muted); }
svg .node .node-id { font-size: 12px; }
svg .node .node-decision { font-size: 11px; fill: var(--muted); }
svg .tone-allow rect { stroke: var(--allow); } svg .tone-allow .node-decision { fill: var(--allow); }
svg .tone-deny rect { stroke: var(--deny); } svg .tone-deny .node-decision { fill: var(--deny); }
svg .tone-endpoint rect { fill: #ffffff; stroke: var(--fg); stroke-dasharray: 4 3; }
svg .arrow line, svg .arrow polyline { stroke: var(--muted); stroke-width: 1.5; fill: none; }
svg .arrow polygon { fill: var(--muted); }
svg .heat-row { font-size: 12px; text-anchor: end; }
svg .heat-column { font-size: 12px; }
svg .heat-empty { fill: var(--panel); }
svg .heat-cell text { font-size: 12px; font-weight: 700; text-anchor: middle; fill: #ffffff; }
svg .heat-cell.sev-critical rect { fill: var(--critical); } svg .heat-cell.sev-high rect { fill: var(--high); }
svg .heat-cell.sev-medium rect { fill: var(--medium); } svg .heat-cell.sev-low rect { fill: var(--low); }
svg .heat-cell.sev-info rect { fill: var(--info); }
#controls { display: flex; flex-wrap: wrap; gap: 8px 18px; align-items: center; padding: 8px 12px; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; margin: 10px 0; }
#controls fieldset { border: 0; margin: 0; padding: 0; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
#controls legend { float: left; font-weight: 600; margin-right: 6px; }
#controls input[type=search] { min-width: 220px; padding: 3px 6px; }
#controls[hidden] { display: none; }
.kinds { columns: 4 200px; list-style: none; padding: 0; margin: 6px 0; }
.kinds li { padding: 1px 0; }
.kinds .count { color: var(--muted); font-variant-numeric: tabular-nums; }
.kinds li.missing, .kinds li.missing .count { color: var(--high); }
footer { color: var(--muted); padding-bottom: 30px; margin-top: 30px; border-top: 1px solid var(--line); padding-top: 10px; }
@media print { #controls { display: none; } details.finding { break-inside: avoid; } }
`;

/**
 * Filters (severity, area, text), expand and collapse all, and opening the finding named in the URL
 * fragment. The page reads the same without it: every finding is in the HTML and expands on click.
 */
export const SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('rampart-data').textContent || '{}');
  var searchText = {};
  (data.findings || []).forEach(function (finding) {
    var resources = (finding.resources || []).map(function (resource) {
      return [resource.kind, resource.id, resource.namespace, resource.name].filter(Boolean).join(' ');
    });
    searchText[finding.id] = [finding.title, finding.checkId, finding.id, finding.problem, finding.category]
      .concat(resources).join('\\n').toLowerCase();
  });

  var controls = document.getElementById('controls');
  var findings = Array.prototype.slice.call(document.querySelectorAll('#findings details.finding'));
  var severityBoxes = Array.prototype.slice.call(controls.querySelectorAll('input[name=severity]'));
  var areaBoxes = Array.prototype.slice.call(controls.querySelectorAll('input[name=area]'));
  var search = document.getElementById('search');
  var shown = document.getElementById('shown');

  function checked(boxes) {
    return boxes.filter(function (box) { return box.checked; }).map(function (box) { return box.value; });
  }

  function applyFilters() {
    var severities = checked(severityBoxes);
    var areas = checked(areaBoxes);
    var query = search.value.trim().toLowerCase();
    var visible = 0;
    findings.forEach(function (element) {
      var match = severities.indexOf(element.getAttribute('data-severity')) >= 0 &&
        areas.indexOf(element.getAttribute('data-area')) >= 0 &&
        (query === '' || (searchText[element.getAttribute('data-id')] || '').indexOf(query) >= 0);
      element.hidden = !match;
      if (match) visible += 1;
    });
    shown.textContent = visible + ' of ' + findings.length + ' finding(s) shown';
  }

  function setOpen(open) {
    findings.forEach(function (element) { if (!element.hidden) element.open = open; });
  }

  severityBoxes.concat(areaBoxes).forEach(function (box) { box.addEventListener('change', applyFilters); });
  search.addEventListener('input', applyFilters);
  document.getElementById('expand-all').addEventListener('click', function () { setOpen(true); });
  document.getElementById('collapse-all').addEventListener('click', function () { setOpen(false); });

  function openFromHash() {
    if (location.hash.length < 2) return;
    var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target && target.tagName === 'DETAILS') { target.open = true; target.scrollIntoView(); }
  }
  window.addEventListener('hashchange', openFromHash);

  controls.hidden = false;
  applyFilters();
  openFromHash();
})();
`;

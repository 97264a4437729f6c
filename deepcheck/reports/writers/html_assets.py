"""The HTML report's inline style and script, and the Content-Security-Policy that allows exactly them."""

from __future__ import annotations

import base64
import hashlib

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;padding:1em 1.5em;
color:#1b1b1b;background:#fff}
h1{font-size:1.6em;margin:.2em 0}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
h3{font-size:1.1em;margin:0 0 .5em;word-break:break-all}h4{margin:1em 0 .4em}
table{border-collapse:collapse;margin:.3em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;
vertical-align:top}th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.kv th{width:14em;font-weight:600}.mono,code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em;
word-break:break-all}
.file{border:1px solid #ccc;border-left:6px solid #999;border-radius:4px;padding:.8em 1em;margin:1em 0}
.cat-fake{border-left-color:#c0392b}.cat-review{border-left-color:#d35400}.cat-real{border-left-color:#2e8b57}.cat-no_face{border-left-color:#d4a017}
.cat-error{border-left-color:#8e44ad}.cat-skipped{border-left-color:#aaa}
.badge{display:inline-block;padding:0 .5em;border-radius:3px;font-weight:600;font-size:.9em;color:#fff;background:#777}
.b-fake{background:#c0392b}.b-review{background:#d35400}.b-real{background:#2e8b57}.b-no_face{background:#b8860b}.b-error{background:#8e44ad}
.b-skipped{background:#888}
.faces{display:flex;flex-wrap:wrap;gap:.6em}.faces figure{margin:0;text-align:center;font-size:.85em}
.faces img{display:block;border:1px solid #bbb;width:112px;height:112px}
.heat img{width:224px;height:224px}.timeline img{max-width:100%;border:1px solid #ddd}
.note{background:#fff8e1;border:1px solid #f0d98c;padding:.5em .8em;border-radius:4px}
.aid{background:#eef4fb;border:1px solid #b6cde8;padding:.5em .8em;border-radius:4px}
#controls{margin:.6em 0;padding:.5em .8em;background:#f6f6f6;border-radius:4px}#controls label{margin-right:1em}
footer{margin-top:2em;color:#666;font-size:.85em}
header p{margin:.2em 0;color:#444}#findings h2{margin-top:.6em}
#counts{display:flex;flex-wrap:wrap;gap:.4em;list-style:none;padding:0;margin:.4em 0}
#counts li{border:1px solid #ccc;border-radius:4px;padding:.15em .6em;background:#fafafa}
#counts li b{font-size:1.15em;margin-right:.3em}#counts li.hit{border-color:#c0392b;background:#fdecea}
#counts li.hit-review{border-color:#d35400;background:#fdf0e6}
.finding{display:grid;grid-template-columns:112px 300px 1fr;gap:.8em;align-items:start;border:1px solid #e3b4ae;
border-left:6px solid #c0392b;border-radius:4px;padding:.6em .8em;margin:.6em 0}
.finding.review{border-color:#f0c8a8;border-left-color:#d35400}
.finding h3{margin:0 0 .2em}.finding p{margin:.2em 0}.finding .timeline img{max-width:460px;width:100%}
.finding figure{margin:0;font-size:.8em;text-align:center}.finding .face img{width:112px;height:112px}
.context img{display:block;max-width:300px;max-height:200px;width:auto;height:auto;border:1px solid #bbb}
.contexts{display:flex;flex-wrap:wrap;gap:.6em}.contexts figure{margin:0;font-size:.85em}
.contexts img{width:360px;max-width:100%;height:auto;border:1px solid #bbb}
.explain{font-weight:600}
@media print{#controls{display:none}.file,.finding{break-inside:avoid}}
""".strip()

SCRIPT = """
(function(){
  "use strict";
  var root=document.documentElement; root.setAttribute("data-js","on");
  var controls=document.getElementById("controls"); if(!controls){return;}
  controls.hidden=false;
  var rows=Array.prototype.slice.call(document.querySelectorAll("#file-index tbody tr"));
  var cards=Array.prototype.slice.call(document.querySelectorAll("#details article.file"));
  var boxes=Array.prototype.slice.call(controls.querySelectorAll("input[type=checkbox]"));
  var order=document.getElementById("sort");
  function key(el,how){
    if(how==="score"){var s=parseFloat(el.getAttribute("data-score"));return isNaN(s)?1:-s;}
    if(how==="name"){return el.getAttribute("data-name")||"";}
    if(how==="category"){return el.getAttribute("data-rank")||"";}
    if(how==="risk"){return parseInt(el.getAttribute("data-risk"),10);}
    return parseInt(el.getAttribute("data-order"),10);
  }
  function arrange(list){
    var how=order.value;
    var sorted=list.slice().sort(function(a,b){var x=key(a,how),y=key(b,how);
      if(x<y){return -1;} if(x>y){return 1;} return key(a,"")-key(b,"");});
    sorted.forEach(function(el){el.parentNode.appendChild(el);});
  }
  function apply(){
    var shown={}; boxes.forEach(function(b){shown[b.value]=b.checked;});
    rows.concat(cards).forEach(function(el){el.hidden=!shown[el.getAttribute("data-category")];});
    arrange(rows); arrange(cards);
  }
  boxes.forEach(function(b){b.addEventListener("change",apply);});
  order.addEventListener("change",apply);
})();
""".strip()


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


CSP = (
    "default-src 'none'; img-src data:; "
    f"style-src {_csp_hash(CSS)}; script-src {_csp_hash(SCRIPT)}; "
    "base-uri 'none'; form-action 'none'"
)

// Parse PowerShell scripts with the tree-sitter-pwsh grammar; fail on syntax errors and on what
// Windows PowerShell 5.1 cannot run. usage: node lint-ps1.cjs FILE.ps1...  (MSDNS_LINT_MODULES: npm dir)
'use strict';
require('v8').setFlagsFromString('--liftoff-only');   // ~7 s of wasm compilation otherwise
const fs = require('fs');
const path = require('path');

const mods = path.join(process.env.MSDNS_LINT_MODULES || '/var/tmp/msdns-agent-lint', 'node_modules');
if (!fs.existsSync(path.join(mods, 'tree-sitter-pwsh'))) {
  console.log(`${mods}: no PowerShell grammar installed (scripts/setup.sh lint); skipped`);
  process.exit(77);
}
const { Parser, Language } = require(path.join(mods, 'web-tree-sitter', 'web-tree-sitter.cjs'));

// PowerShell 7 syntax (5.1 does not parse it): a node type and the operator token that marks it
// (the grammar wraps every pipeline in pipeline_chain, every expression in ternary_expression...).
const ps7Only = {
  ternary_expression: ['?', 'the ternary operator ? : (PowerShell 7)'],
  ternary_argument_expression: ['?', 'the ternary operator ? : (PowerShell 7)'],
  pipeline_chain: ['&&', 'the pipeline chain operators && and || (PowerShell 7)'],
  pipeline_chain_tail: ['||', 'the pipeline chain operators && and || (PowerShell 7)'],
  null_coalesce_expression: ['??', 'the ?? operator (PowerShell 7)'],
  null_coalesce_argument_expression: ['??', 'the ?? operator (PowerShell 7)'],
  clean: [null, 'the clean block (PowerShell 7.3)'],
  parallel_statement: [null, 'parallel blocks (PowerShell 7)'],
};
const ps7Tokens = { '??=': 'the ??= operator (PowerShell 7)', '?.': 'null-conditional member access (PowerShell 7)',
  '?[': 'null-conditional indexing (PowerShell 7)' };

function lintText(file, buf, parser) {
  const problems = [];
  const say = (row, col, text) => problems.push(`${file}:${row + 1}:${col + 1}: ${text}`);
  const bom = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
  const text = buf.toString('utf8');
  text.split('\n').forEach((line, i) => {
    const q = line.search(/[\u2018\u2019\u201a\u201b\u201c\u201d\u201e]/);
    if (q >= 0) say(i, q, 'typographic quote: PowerShell treats it as a quote character');
    if (!bom) {
      const na = line.search(/[^\x00-\x7f]/);
      if (na >= 0) say(i, na, 'non-ASCII text in a file without a UTF-8 BOM: 5.1 reads it in the ANSI code page');
    }
    const m = line.match(/(\?\?=|\?\.|\?\[)/);
    if (m && !/^\s*#/.test(line) && !/'[^']*(\?\?=|\?\.|\?\[)[^']*'/.test(line)) say(i, m.index, ps7Tokens[m[1]]);
  });
  const tree = parser.parse(text);
  const walk = (node) => {
    if (node.type === 'ERROR') say(node.startPosition.row, node.startPosition.column, 'syntax error');
    else if (node.isMissing) say(node.startPosition.row, node.startPosition.column, `missing ${node.type}`);
    else if (ps7Only[node.type]) {
      const [token, text] = ps7Only[node.type];
      const tokens = node.children.map((c) => c.type);
      const hit = token === null || tokens.includes(token) ||
        (node.type.startsWith('pipeline_chain') && (tokens.includes('&&') || tokens.includes('||')));
      if (hit) say(node.startPosition.row, node.startPosition.column, text);
    }
    if (node.type === 'try_statement') {
      const kinds = node.namedChildren.map((c) => c.type);
      if (!kinds.includes('catch_clauses') && !kinds.includes('catch_clause') && !kinds.includes('finally_clause'))
        say(node.startPosition.row, node.startPosition.column, 'try without catch or finally');
    }
    for (const c of node.children) walk(c);
  };
  walk(tree.rootNode);
  return problems;
}

(async () => {
  await Parser.init();
  const lang = await Language.load(path.join(mods, 'tree-sitter-pwsh', 'tree-sitter-powershell.wasm'));
  const parser = new Parser();
  parser.setLanguage(lang);
  const files = process.argv.slice(2);
  let bad = 0;
  for (const f of files) {
    const problems = lintText(f, fs.readFileSync(f), parser);
    problems.forEach((p) => console.log(p));
    bad += problems.length;
    console.log(`${f}: ${problems.length ? problems.length + ' problem(s)' : 'ok'}`);
  }
  if (files.length === 0) { console.error('usage: lint-ps1.cjs FILE.ps1...'); process.exit(64); }
  process.exit(bad ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(2); });

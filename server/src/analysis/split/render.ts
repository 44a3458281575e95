/**
 * Writes each part of a split as a module: the original module's statements that the part uses
 * (imports pruned to the names it needs, helpers and constants followed transitively), in their
 * original order and spacing, and a Migration class holding the part's operations.
 */
import { eolOf, indentOf } from '../fixes/edits';
import type { MigrationModel } from '../migration-model';
import type { Node } from '../syntax';
import { boundNames, importItems, usedNames } from './names';
import type { PlannedPart } from './plan';

/** A statement with the comment lines directly above it. */
interface Unit {
  stmt: Node;
  start: number;
  end: number;
  /** Source between the previous unit's end and this unit's start (blank lines, newlines). */
  gap: string;
}

function units(block: Node, source: string): Unit[] {
  const out: Unit[] = [];
  let pendingStart: number | null = null;
  let prevEnd = block.startIndex;
  for (const child of block.namedChildren) {
    if (child.type === 'comment') {
      // A comment on the line a statement ends on belongs to that statement (`atomic = False  # why`).
      const last = out[out.length - 1];
      if (last && pendingStart === null && child.startPosition.row === last.stmt.endPosition.row) {
        last.end = child.endIndex;
        prevEnd = child.endIndex;
        continue;
      }
      pendingStart ??= child.startIndex;
      continue;
    }
    const start = pendingStart ?? child.startIndex;
    out.push({ stmt: child, start, end: child.endIndex, gap: source.slice(prevEnd, start) });
    prevEnd = child.endIndex;
    pendingStart = null;
  }
  return out;
}

const DJANGO_ATTRIBUTES = new Set(['dependencies', 'operations', 'run_before', 'replaces', 'initial', 'atomic']);

function attributeName(stmt: Node): string | null {
  const a = stmt.type === 'expression_statement' ? stmt.firstNamedChild : null;
  const left = a?.type === 'assignment' ? a.childForFieldName('left') : null;
  return left?.type === 'identifier' ? left.text : null;
}

function isDocstring(stmt: Node): boolean {
  const e = stmt.type === 'expression_statement' ? stmt.firstNamedChild : null;
  return e?.type === 'string' || e?.type === 'concatenated_string';
}

function isFutureImport(stmt: Node): boolean {
  return stmt.type === 'import_from_statement' && stmt.childForFieldName('module_name')?.text === '__future__';
}

function newlines(text: string): number {
  return text.split('\n').length - 1;
}

export interface RenderInput {
  model: MigrationModel;
  source: string;
  parts: PlannedPart[];
  /** File stems of the parts, the first being the original's. */
  names: string[];
  appLabel: string;
}

/** Class-body helpers (methods, constants) a part's operations use, transitively. */
function classHelpers(bodyUnits: Unit[], seed: Set<string>): Set<Unit> {
  const helpers = bodyUnits.filter((u) => !isDocstring(u.stmt) && !DJANGO_ATTRIBUTES.has(attributeName(u.stmt) ?? ''));
  const taken = new Set<Unit>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const u of helpers) {
      if (taken.has(u)) continue;
      if ([...boundNames(u.stmt)].some((n) => seed.has(n))) {
        taken.add(u);
        usedNames(u.stmt, seed);
        grew = true;
      }
    }
  }
  return taken;
}

/** The module-level statements a set of names needs, following what those statements use. */
function moduleClosure(moduleUnits: Unit[], seed: Set<string>, classStmt: Node): Set<Unit> {
  const taken = new Set<Unit>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const u of moduleUnits) {
      if (taken.has(u) || u.stmt.id === classStmt.id) continue;
      if (u.stmt.type === 'import_statement' || u.stmt.type === 'import_from_statement') continue;
      if ([...boundNames(u.stmt)].some((n) => seed.has(n))) {
        taken.add(u);
        usedNames(u.stmt, seed);
        grew = true;
      }
    }
  }
  return taken;
}

/** An import statement keeping only the names in `needed`; '' when none is needed. */
function prunedImport(stmt: Node, needed: Set<string>): string {
  const items = importItems(stmt);
  if (!items || isFutureImport(stmt)) return stmt.text;
  const kept = items.filter((i) => needed.has(i.binds));
  if (kept.length === 0) return '';
  if (kept.length === items.length) return stmt.text;
  if (stmt.type === 'import_statement') return `import ${kept.map((i) => i.text).join(', ')}`;
  return `from ${stmt.childForFieldName('module_name')?.text ?? ''} import ${kept.map((i) => i.text).join(', ')}`;
}

function operationsText(part: PlannedPart, source: string, bodyIndent: string, eol: string): string {
  const first = part.elements[0]?.node;
  const firstIndent = first ? indentOf(first, source) : '';
  const lineStart = first ? source.lastIndexOf('\n', first.startIndex - 1) + 1 : 0;
  // Elements written one per line keep their column (multi-line elements keep their shape).
  const indent = first && source.slice(lineStart, first.startIndex).trim() === '' && firstIndent.length > bodyIndent.length ? firstIndent : `${bodyIndent}    `;
  const lines = part.elements.flatMap((e) => [...e.comments.map((c) => `${indent}${c.text}`), `${indent}${e.node.text},`]);
  return `operations = [${eol}${lines.join(eol)}${eol}${bodyIndent}]`;
}

export function renderParts(input: RenderInput): string[] {
  const { model, source, parts, names, appLabel } = input;
  const eol = eolOf(source);
  const classStmt = model.classNode.parent?.type === 'decorated_definition' ? model.classNode.parent : model.classNode;
  const moduleUnits = units(model.root, source);
  const bodyUnits = units(model.body, source);
  const bodyIndent = indentOf(model.body.firstNamedChild ?? model.body, source);
  const header = source.slice(classStmt.startIndex, model.body.startIndex);
  const opsStatement = model.operationsStatement;
  const runBefore = model.runBefore.statement;

  return parts.map((part, i) => {
    const last = i === parts.length - 1;
    const seed = new Set<string>();
    for (const e of part.elements) usedNames(e.node, seed);
    usedNames(model.classNode.childForFieldName('superclasses') ?? model.nameNode, seed);
    const helpers = classHelpers(bodyUnits, seed);
    // The first part keeps the class's other attributes; their names (settings, ...) too.
    if (i === 0) {
      for (const u of bodyUnits) {
        const attr = attributeName(u.stmt);
        if (!helpers.has(u) && attr !== 'operations' && (DJANGO_ATTRIBUTES.has(attr ?? '') || isDocstring(u.stmt))) usedNames(u.stmt, seed);
      }
      for (const u of moduleUnits) if (u.stmt.id !== classStmt.id && boundNames(u.stmt).size === 0 && !isDocstring(u.stmt)) usedNames(u.stmt, seed);
    } else if (last && runBefore) usedNames(runBefore, seed);
    const taken = moduleClosure(moduleUnits, seed, classStmt);

    // The class.
    const items: string[] = [];
    const add = (text: string) => items.push(text);
    const atomicLine = `atomic = False`;
    if (i === 0) {
      let atomicDone = !part.nonAtomic || model.atomic.value === false;
      for (const u of bodyUnits) {
        const attr = attributeName(u.stmt);
        const text = source.slice(u.start, u.end);
        // `atomic = False` goes first in the body (after a docstring), where people look for it.
        if (!atomicDone && !isDocstring(u.stmt) && attr !== 'atomic') {
          add(atomicLine);
          atomicDone = true;
        }
        if (u.stmt.id === opsStatement?.id) {
          if (!atomicDone) {
            add(atomicLine);
            atomicDone = true;
          }
          add(operationsText(part, source, bodyIndent, eol));
        } else if (u.stmt.id === runBefore?.id) {
          continue; // moves to the last part
        } else if (attr === 'atomic' && part.nonAtomic && !atomicDone) {
          add(atomicLine);
          atomicDone = true;
        } else if (DJANGO_ATTRIBUTES.has(attr ?? '') || isDocstring(u.stmt) || helpers.has(u)) {
          add(text);
          if (!atomicDone && isDocstring(u.stmt)) {
            add(atomicLine);
            atomicDone = true;
          }
        }
      }
    } else {
      if (part.nonAtomic) add(atomicLine);
      add(`dependencies = [${eol}${bodyIndent}    ("${appLabel}", "${names[i - 1]}"),${eol}${bodyIndent}]`);
      if (last && runBefore) add(source.slice(runBefore.startIndex, runBefore.endIndex));
      for (const u of bodyUnits) if (helpers.has(u)) add(source.slice(u.start, u.end));
      add(operationsText(part, source, bodyIndent, eol));
    }
    const classText = header + items.join(`${eol}${eol}${bodyIndent}`);

    // The module around it.
    let out = '';
    let first = true;
    // Dropping statements must not glue the next one to what precedes them: keep the wider gap.
    let skippedGap: string | null = null;
    for (const [k, u] of moduleUnits.entries()) {
      let text: string | null = null;
      if (u.stmt.id === classStmt.id) text = source.slice(u.start, classStmt.startIndex) + classText;
      else if (u.stmt.type === 'import_statement' || u.stmt.type === 'import_from_statement') {
        const pruned = prunedImport(u.stmt, seed);
        text = pruned ? source.slice(u.start, u.stmt.startIndex) + pruned : null;
      } else if (taken.has(u)) text = source.slice(u.start, u.end);
      else if (i === 0 && (k === 0 && isDocstring(u.stmt))) text = source.slice(u.start, u.end);
      else if (i === 0 && boundNames(u.stmt).size === 0 && !isDocstring(u.stmt)) text = source.slice(u.start, u.end);
      if (text === null) {
        skippedGap ??= u.gap;
        continue;
      }
      const gap = skippedGap !== null && newlines(skippedGap) > newlines(u.gap) ? skippedGap : u.gap;
      skippedGap = null;
      if (first && i > 0) {
        // The file's header comments describe the original; say where this part came from instead.
        const note = `# Part ${i + 1} of ${parts.length} of ${names[0]}, split by Django Migration Guard.${eol}`;
        text = note + text.slice(u.stmt.startIndex - u.start);
      }
      out += first ? text : gap + text;
      first = false;
    }
    return `${out}${eol}`;
  });
}

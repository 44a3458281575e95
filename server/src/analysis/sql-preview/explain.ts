/**
 * The preview told to a reader: per operation its SQL, the lock each statement takes, what that
 * blocks, whether the table is rewritten or scanned, and the transaction it runs in — as plain
 * text (`migration-guard explain`), as JSON, and as Markdown for the editor's hover. Pure strings
 * from a MigrationPreview; the CLI and the server only print or send them.
 */
import type { LockFact } from '../locks/lock-table';
import type { TargetDatabase } from '../target-database';
import type { MigrationPreview, OperationPreview, StatementPreview, TransactionMode } from './preview';

const WORK: Record<LockFact['work'], string> = {
  none: 'no rewrite, no scan',
  scan: 'scans the table',
  rewrite: 'rewrites the table',
  unknown: 'work on the table depends on the data',
};

/** `ACCESS EXCLUSIVE · blocks reads and writes · rewrites the table`. */
export function lockLine(lock: LockFact): string {
  if (lock.lock === 'unknown') return lock.note ?? 'lock not known';
  const blocks = lock.blocks === 'nothing' ? 'blocks neither reads nor writes' : lock.blocks === 'unknown' ? 'what it blocks depends on the statement' : `blocks ${lock.blocks}`;
  return `${lock.lock} · ${blocks} · ${WORK[lock.work]}${lock.transactional ? '' : ' · cannot run in a transaction'}`;
}

export function transactionLine(mode: TransactionMode): string {
  switch (mode) {
    case 'migration':
      return "inside the migration's transaction";
    case 'none':
      return 'no transaction (atomic = False): each statement commits on its own';
    case 'refused':
      return "PostgreSQL refuses it inside the migration's transaction: the migration needs atomic = False";
    case 'unknown':
      return 'transaction not known (atomic is computed)';
  }
}

export function targetLine(target: TargetDatabase): string {
  const db = target.vendor === 'postgresql' ? `PostgreSQL ${target.postgresqlVersion}` : target.vendor === 'mysql' ? 'MySQL' : 'SQLite';
  return `${db}, Django ${target.djangoVersion.join('.')}`;
}

function statementText(s: StatementPreview, indent: string): string[] {
  const lines = [`${indent}${s.sql}`, `${indent}  -- ${lockLine(s.lock)}`];
  if (s.lock.note && s.lock.lock !== 'unknown') lines.push(`${indent}  -- ${s.lock.note}`);
  return lines;
}

function operationHead(op: OperationPreview, number: string): string {
  return `${number} ${op.label} (line ${op.range.start.line + 1}) — ${transactionLine(op.transaction)}`;
}

/** Plain text for `explain`. */
export function explainText(preview: MigrationPreview, heading: string, target: TargetDatabase): string {
  const out: string[] = [`${heading} on ${targetLine(target)}`];
  out.push(preview.atomic === true ? 'atomic: every operation below runs in one transaction' : preview.atomic === false ? 'atomic = False: no transaction around the operations' : 'atomic: not known statically');
  if (!preview.stateKnown) {
    out.push("the models before this migration are not known (its app's earlier migrations are not in view, or two folders claim its app label): operations on existing tables cannot be previewed");
  }
  const numbers = numbering(preview);
  for (const op of preview.operations) {
    out.push('', operationHead(op, numbers.get(op.index) as string));
    const indent = op.container === null ? '   ' : '      ';
    if (op.cannotPreview) out.push(`${indent}-- cannot preview: ${op.cannotPreview}`);
    if (op.comment) out.push(`${indent}-- ${op.comment}`);
    if (!op.cannotPreview && !op.comment && op.statements.length === 0 && op.deferred.length === 0) out.push(`${indent}-- no SQL`);
    for (const s of op.statements) out.push(...statementText(s, indent));
    for (const n of op.notes) out.push(`${indent}-- note: ${n}`);
    if (op.deferred.length > 0) out.push(`${indent}-- and ${op.deferred.length} statement(s) at the end of the migration (below)`);
  }
  if (preview.deferred.length > 0) {
    out.push('', 'At the end of the migration (deferred by the operations above):');
    for (const s of preview.deferred) out.push(...statementText(s, '   '));
  }
  return `${out.join('\n')}\n`;
}

/** `1.`, `2.`, and `4.1.` for the database operations inside the fourth. */
function numbering(preview: MigrationPreview): Map<number, string> {
  const out = new Map<number, string>();
  let top = 0;
  const inner = new Map<number, number>();
  for (const op of preview.operations) {
    if (op.container === null) out.set(op.index, `${++top}.`);
    else {
      const n = (inner.get(op.container) ?? 0) + 1;
      inner.set(op.container, n);
      out.set(op.index, `${out.get(op.container) ?? '?.'}${n}.`);
    }
  }
  return out;
}

function statementJson(s: StatementPreview) {
  return { sql: s.sql, kind: s.kind, lock: s.lock.lock, blocks: s.lock.blocks, work: s.lock.work, transactional: s.lock.transactional, note: s.lock.note, source: s.lock.source, deferred: s.deferred };
}

/** The JSON `explain --format json` prints. */
export function explainJson(preview: MigrationPreview, file: string, migration: string, target: TargetDatabase): unknown {
  return {
    file,
    migration,
    database: { vendor: target.vendor, postgresqlVersion: target.postgresqlVersion, djangoVersion: target.djangoVersion.join('.') },
    atomic: preview.atomic,
    stateKnown: preview.stateKnown,
    operations: preview.operations.map((op) => ({
      index: op.index,
      operation: op.name,
      label: op.label,
      line: op.range.start.line + 1,
      container: op.container,
      transaction: op.transaction,
      comment: op.comment,
      cannotPreview: op.cannotPreview,
      notes: op.notes,
      statements: op.statements.map(statementJson),
      deferred: op.deferred.map(statementJson),
    })),
    deferred: preview.deferred.map(statementJson),
  };
}

// --- Hover ----------------------------------------------------------------------------------

function sqlBlock(statements: readonly StatementPreview[]): string[] {
  return ['```sql', ...statements.map((s) => s.sql), '```'];
}

function lockBullets(statements: readonly StatementPreview[]): string[] {
  return statements.map((s) => `- ${s.kind}: **${s.lock.lock}** — ${lockLine(s.lock).split(' · ').slice(1).join(', ')}${s.lock.note ? ` (${s.lock.note})` : ''}`);
}

/** Markdown for hovering one operation. */
export function operationHover(preview: MigrationPreview, op: OperationPreview, target: TargetDatabase): string {
  const out = [`**${op.label}** on ${targetLine(target)} — ${transactionLine(op.transaction)}`, ''];
  if (op.cannotPreview) out.push(`Cannot preview the SQL: ${op.cannotPreview}.`);
  if (op.comment) out.push(op.comment === 'Raw Python operation' ? 'Raw Python operation: runs Python code, not SQL Django can print.' : `No SQL: ${op.comment}.`);
  const inner = preview.operations.filter((o) => o.container === op.index);
  const statements = [...op.statements, ...inner.flatMap((o) => o.statements)];
  if (statements.length > 0) out.push(...sqlBlock(statements), '', ...lockBullets(statements));
  else if (!op.cannotPreview && !op.comment) out.push('No SQL.');
  for (const n of op.notes) out.push('', `Note: ${n}.`);
  const deferred = [...op.deferred, ...inner.flatMap((o) => o.deferred)];
  if (deferred.length > 0) out.push('', 'At the end of the migration:', ...sqlBlock(deferred), '', ...lockBullets(deferred));
  return out.join('\n');
}

/** Markdown for hovering the Migration class: every operation in order, one line each, then all SQL. */
export function migrationHover(preview: MigrationPreview, target: TargetDatabase): string {
  const out = [`**Migration** on ${targetLine(target)} — ${preview.atomic === true ? 'atomic: one transaction' : preview.atomic === false ? 'atomic = False: no transaction' : 'atomic not known'}`, ''];
  const numbers = numbering(preview);
  for (const op of preview.operations) {
    const worst = op.statements.map((s) => s.lock.lock).find((l) => l === 'ACCESS EXCLUSIVE') ?? op.statements[0]?.lock.lock;
    const what = op.cannotPreview ? `cannot preview: ${op.cannotPreview}` : op.comment ? op.comment : worst ? `${op.statements.length} statement(s), strongest lock ${worst}` : 'no SQL';
    out.push(`${op.container === null ? '' : '  '}${numbers.get(op.index)} ${op.label} — ${what}`);
  }
  const all = preview.operations.flatMap((o) => o.statements);
  if (all.length + preview.deferred.length > 0) out.push('', ...sqlBlock([...all, ...preview.deferred]));
  return out.join('\n');
}

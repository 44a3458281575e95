/** The rule registry: adding a rule means one file, its docs page, and one entry here. */
import { addConstraintValidates } from './add-constraint-validates';
import { addFieldNotNull } from './add-field-not-null';
import { addFieldUniqueDefault } from './add-field-unique-default';
import { addIndexNotConcurrent } from './add-index-not-concurrent';
import { blockingSql } from './blocking-sql';
import { enumValueInTransaction } from './enum-value-in-transaction';
import { alterFieldNotNull } from './alter-field-not-null';
import { alterFieldType } from './alter-field-type';
import { dropColumn } from './drop-column';
import { dropTable } from './drop-table';
import { removeIndexNotConcurrent } from './remove-index-not-concurrent';
import { renameColumn } from './rename-column';
import { renameTable } from './rename-table';
import { conflictingMigrations } from './conflicting-migrations';
import { dependencyCycle } from './dependency-cycle';
import { missingAtomicFalse } from './missing-atomic-false';
import { mixedDataAndSchema } from './mixed-data-and-schema';
import { offsetPagination } from './offset-pagination';
import type { Rule } from './rule';
import type { RuleSetting } from '../types';
import { runpythonExternalCall } from './runpython-external-call';
import { runpythonModelImport } from './runpython-model-import';
import { runpythonNoDbAlias } from './runpython-no-db-alias';
import { runpythonNoReverse } from './runpython-no-reverse';
import { runsqlNoReverse } from './runsql-no-reverse';
import { syntaxError } from './syntax-error';
import { unbatchedSaveLoop } from './unbatched-save-loop';
import { unknownDependency } from './unknown-dependency';
import { unusedSuppression } from './unused-suppression';

export const RULES: readonly Rule[] = [
  syntaxError,
  unbatchedSaveLoop,
  runpythonNoReverse,
  runpythonModelImport,
  runpythonExternalCall,
  runpythonNoDbAlias,
  offsetPagination,
  runsqlNoReverse,
  mixedDataAndSchema,
  missingAtomicFalse,
  conflictingMigrations,
  unknownDependency,
  dependencyCycle,
  addFieldNotNull,
  addFieldUniqueDefault,
  alterFieldNotNull,
  alterFieldType,
  addIndexNotConcurrent,
  removeIndexNotConcurrent,
  dropColumn,
  dropTable,
  renameColumn,
  renameTable,
  addConstraintValidates,
  enumValueInTransaction,
  blockingSql,
  unusedSuppression,
];

export const RULE_IDS: readonly string[] = RULES.map((r) => r.meta.id);

/** `rules` with only the rules `keep` names left as they are set (none: the rule's default); every other off. */
export function onlyRules(rules: Readonly<Record<string, RuleSetting>>, keep: ReadonlySet<string>): Record<string, RuleSetting> {
  return { ...rules, ...Object.fromEntries(RULE_IDS.filter((id) => !keep.has(id)).map((id) => [id, 'off' as const])) };
}

export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.meta.id === id);
}

/** Where each rule's documentation lives; derived from the id, never written per finding. */
export const DOCS_BASE_URL = 'https://github.com/django-migration-guard/django-migration-guard/blob/main/docs/rules/';

export function ruleDocsUrl(id: string): string {
  return `${DOCS_BASE_URL}${id}.md`;
}

export type { Rule, RuleMeta } from './rule';

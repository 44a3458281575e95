/**
 * The editor side of baselines: a migration's findings minus the ones its project's baseline
 * (`baseline` in pyproject.toml, or migrationGuard.baseline) records, so the Problems panel shows
 * what CI with the same baseline would. Each baseline is read once per change on disk; a baseline
 * that cannot be read is said once in the output and hides nothing.
 */
import { findingFingerprint } from '../analysis/fingerprint';
import type { Tree } from '../analysis/parser';
import type { Finding } from '../analysis/types';
import { BaselineCache, BaselineError, BaselineMatcher, baselineKeyPath, fingerprintHash, type Baseline, type BaselineEntry } from '../config/baseline';

export class EditorBaselines {
  private readonly cache = new BaselineCache();
  private readonly byPath = new WeakMap<Baseline, Map<string, BaselineEntry[]>>();
  private readonly reported = new Set<string>();

  /** Receives a message when a baseline cannot be used (once per message). */
  warn: (message: string) => void = () => undefined;

  private entriesOf(baseline: Baseline, path: string): BaselineEntry[] {
    let index = this.byPath.get(baseline);
    if (!index) {
      index = new Map();
      for (const e of baseline.entries) index.set(e.path, [...(index.get(e.path) ?? []), e]);
      this.byPath.set(baseline, index);
    }
    return index.get(path) ?? [];
  }

  /** `findings` of `file` (linted as `tree`) without those `baselineFile` records. */
  filter(file: string, baselineFile: string, tree: Tree, findings: Finding[]): Finding[] {
    return this.filterFingerprinted(file, baselineFile, findings, (f) => findingFingerprint(tree.rootNode, f.range));
  }

  /** The same, with each finding's fingerprint taken from `fingerprintOf` (computed earlier, with the tree). */
  filterFingerprinted(file: string, baselineFile: string, findings: Finding[], fingerprintOf: (f: Finding) => string): Finding[] {
    const baseline = this.cache.get(baselineFile);
    if (baseline instanceof BaselineError) {
      if (!this.reported.has(baseline.message)) {
        this.reported.add(baseline.message);
        this.warn(`baseline ${baseline.message}; every finding is shown`);
      }
      return findings;
    }
    const entries = this.entriesOf(baseline, baselineKeyPath(baselineFile, file));
    if (entries.length === 0) return findings;
    const matcher = new BaselineMatcher({ file: baselineFile, entries });
    return findings.filter((f) => !matcher.take({ file, rule: f.rule, fingerprint: fingerprintHash(fingerprintOf(f)) }));
  }
}

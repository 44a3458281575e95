/**
 * How the bench's sections report: a section header, free lines and tables on stdout, rows of
 * the final "Headline figures" block (grouped: whole-process CLI first, then the editor, then the
 * in-process figures), parts that could not run (SKIPPED, exit code 1) and notes.
 */
export type HeadlineGroup = 'process' | 'editor' | 'in-process';

export class Report {
  readonly headline: { group: HeadlineGroup; label: string; value: string }[] = [];
  readonly skipped: string[] = [];
  readonly notes: string[] = [];

  log(s = ''): void {
    console.log(s);
  }

  section(title: string): void {
    this.log(`\n== ${title} ${'='.repeat(Math.max(0, 72 - title.length))}`);
  }

  /** A headline row; `target` is the target's text, `met` whether this run met it (undefined: no target). */
  figure(group: HeadlineGroup, label: string, value: string, target?: string, met?: boolean): void {
    const t = target ? `  (target ${target})${met === false ? '  [above target]' : ''}` : '';
    this.headline.push({ group, label, value: value + t });
  }

  skip(part: string, reason: string): void {
    this.log(`  SKIPPED: ${part} — ${reason}`);
    this.skipped.push(`${part}: SKIPPED — ${reason}`);
  }

  note(s: string): void {
    this.notes.push(s);
  }

  printHeadline(): void {
    this.section('Headline figures');
    const titles: Record<HeadlineGroup, string> = {
      process: 'Whole processes, as users run them (ratios to baselines run alongside):',
      editor: 'Editor (language server over stdio, as VS Code drives it):',
      'in-process': 'In-process, warm (no start-up, discovery or reading):',
    };
    const width = Math.max(0, ...this.headline.map((h) => h.label.length)) + 4;
    for (const group of ['process', 'editor', 'in-process'] as const) {
      const rows = this.headline.filter((h) => h.group === group);
      if (rows.length === 0) continue;
      this.log(titles[group]);
      for (const h of rows) this.log(`  ${`${h.label}:`.padEnd(width)}${h.value}`);
    }
    for (const s of this.skipped) this.log(s);
    for (const s of this.notes) this.log(s);
  }
}

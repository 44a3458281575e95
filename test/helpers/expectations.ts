/**
 * Expectation markers in fixtures: a comment `# expect: rule-id` (or `rule-id/severity`, several
 * separated by commas) on the line where a finding must start. Positions come from the fixture
 * itself, never from hand-counted numbers.
 */
export interface Expected {
  line: number; // 1-based
  rule: string;
  severity?: string;
}

const MARKER = /#\s*expect:\s*([^#]+)$/;

export function expectationsOf(source: string): Expected[] {
  const out: Expected[] = [];
  source.split(/\r?\n/).forEach((text, i) => {
    const m = MARKER.exec(text);
    if (!m) return;
    for (const item of (m[1] as string).split(',')) {
      const [rule, severity] = item.trim().split('/');
      if (rule) out.push({ line: i + 1, rule, ...(severity ? { severity } : {}) });
    }
  });
  return out;
}

export function formatExpected(e: Expected): string {
  return `${e.line}:${e.rule}${e.severity ? `/${e.severity}` : ''}`;
}
